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
    let process: Process
    let directory: URL

    /// The shared registry, or why it could not start.
    public static let shared: Result<LocalRegistry, any Error> = Result { try LocalRegistry() }

    init() throws {
        guard let executable = ["/usr/bin/docker-registry", "/usr/sbin/docker-registry"].first(where: FileManager.default.isExecutableFile) else {
            throw RegistryError("docker-registry is not installed (scripts/setup.sh installs it)")
        }
        directory = try TemporaryDirectory.make(prefix: "edgeflash-registry")
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
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", config.path]
        let log = directory.appendingPathComponent("registry.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        Self.stopAtExit(process.processIdentifier, directory: directory)
        for _ in 0..<100 where process.isRunning {
            if Self.accepts(port) { return }
            usleep(50_000)
        }
        let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw RegistryError("docker-registry did not start on \(address): \(said)")
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
        guard bound else { throw RegistryError("no free port on 127.0.0.1: errno \(errno)") }
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

    nonisolated(unsafe) static var toStop: [(pid_t, String)] = []

    /// The test process has no teardown hook for shared fixtures: stop the registry and remove its
    /// storage when the process exits.
    static func stopAtExit(_ pid: pid_t, directory: URL) {
        toStop.append((pid, directory.path))
        if toStop.count == 1 {
            atexit {
                for (pid, path) in LocalRegistry.toStop {
                    kill(pid, SIGTERM)
                    var status: Int32 = 0
                    waitpid(pid, &status, 0)
                    try? FileManager.default.removeItem(atPath: path)
                }
            }
        }
    }
}

public struct RegistryError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
