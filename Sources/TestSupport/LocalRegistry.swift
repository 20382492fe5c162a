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

    /// The images this process's tests made leave the engines' local storage at exit, with the
    /// layers only they used; no other image does, since another process (a test run beside this
    /// one, a real `build images`) may be building from its own. Ours: those named after this
    /// registry (built, pulled, pushed for it) and those built from one of ours, as buildah's
    /// `org.opencontainers.image.base.name` annotation says: the `localhost/edgeflash/canvos-base:*`
    /// bases `build images` tags (their own base comes from this registry), and the cache images
    /// `--layers` leaves behind a failed build.
    static func removeLocalImages(of address: String) {
        struct Image { var id: String; var names: [String]; var base: String }
        guard let listing = try? Shell.bash("buildah images --all --noheading --no-trunc --format '{{.ID}} {{.Name}}:{{.Tag}}'") else { return }
        var byID: [String: Image] = [:]
        for line in listing.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count == 2 else { continue }
            let id = fields[0], name = fields[1]
            if byID[id] == nil {
                let base = (try? Shell.bash("buildah inspect --type image --format '{{index .ImageAnnotations \"org.opencontainers.image.base.name\"}}' \(id)")) ?? ""
                byID[id] = Image(id: id, names: [], base: base.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            if name != "<none>:<none>" { byID[id]!.names.append(name) }
        }
        var ours = Set(byID.values.filter { $0.names.contains { $0.hasPrefix(address + "/") } }.map(\.id))
        var oursNames = Set(ours.flatMap { byID[$0]!.names })
        while true {  // built from ours, and built from those
            let more = byID.values.filter { !ours.contains($0.id) && ($0.base.hasPrefix(address + "/") || oursNames.contains($0.base)) }
            if more.isEmpty { break }
            ours.formUnion(more.map(\.id))
            oursNames.formUnion(more.flatMap(\.names))
        }
        // The names first (an image goes when its last name does, its unnamed parents with it),
        // then what is left unnamed, leaves first: removing one takes its unnamed parents too.
        for name in oursNames.sorted() { _ = try? Shell.bash("buildah rmi -f '\(name)' >/dev/null 2>&1") }
        for _ in 0..<ours.count {
            guard let left = try? Shell.bash("buildah images --all --quiet --no-trunc --filter dangling=true") else { return }
            let leaves = left.split(separator: "\n").map(String.init).filter(ours.contains)
            if leaves.isEmpty { return }
            for id in leaves { _ = try? Shell.bash("buildah rmi -f \(id) >/dev/null 2>&1") }
        }
    }
}
