import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real registry (Debian's `docker-registry`) on a free 127.0.0.1 port, plain HTTP, its storage
/// in a temporary directory. One per test process, started on first use and stopped when the
/// process exits.
public final class LocalRegistry: @unchecked Sendable {
    /// `127.0.0.1:PORT`.
    public let address: String
    let service: TestService

    /// The shared registry, or why it could not start.
    public static let shared: Result<LocalRegistry, any Error> = Result { try LocalRegistry() }

    init() throws {
        guard let executable = ["/usr/bin/docker-registry", "/usr/sbin/docker-registry"].first(where: FileManager.default.isExecutableFile) else {
            throw ServiceError("docker-registry is not installed (scripts/setup.sh installs it)")
        }
        let directory = try TemporaryDirectory.make(prefix: "edgeflash-registry")
        let port = try Self.freePort()
        address = "127.0.0.1:\(port)"
        let config = directory.appendingPathComponent("config.yml")
        try Data("""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: \(directory.appendingPathComponent("data").path)
              delete:
                enabled: true
            http:
              addr: \(address)

            """.utf8).write(to: config)
        service = try TestService.start(executable, ["serve", config.path], directory: directory)
        let address = address
        TestService.atExit { Self.removeLocalImages(of: address) }
        for _ in 0..<100 where service.process.isRunning {
            if Self.accepts(port) { return }
            usleep(50_000)
        }
        throw ServiceError("docker-registry did not start on \(address): \(service.said)")
    }

    /// A port the kernel had free a moment ago.
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw ServiceError("no free port on 127.0.0.1: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }

    static func accepts(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// The images the tests built and pulled for this registry (and the bases `build images` tagged)
    /// leave the engines' local storage with it, and the layers only they used.
    static func removeLocalImages(of address: String) {
        _ = try? Shell.bash("""
            buildah images --format '{{.Name}}:{{.Tag}}' | grep -E '^(\(address)/|localhost/edgeflash/canvos-base:)' | xargs -r buildah rmi -f >/dev/null 2>&1
            buildah rmi --prune >/dev/null 2>&1 || true
            """)
    }
}
