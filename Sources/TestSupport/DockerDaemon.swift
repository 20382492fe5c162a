import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Docker daemon of the test's own (`dockerd --iptables=false`, its socket, data and state in a
/// temporary directory). `stop()` ends it; the directory goes when the test process exits.
public final class DockerDaemon: @unchecked Sendable {
    /// For the `docker` CLI: DOCKER_HOST naming this daemon, BuildKit on, and a PATH on which
    /// `docker` is Debian's (the CLI that comes with dockerd).
    public let environment: [String: String]
    let service: TestService

    public init() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/dockerd") else {
            throw ServiceError("dockerd is not installed (scripts/setup.sh installs docker.io)")
        }
        let directory = try TemporaryDirectory.make(prefix: "edgeflash-dockerd")
        let socket = directory.appendingPathComponent("docker.sock").path
        service = try TestService.start("/usr/sbin/dockerd", [
            "--iptables=false", "--host", "unix://\(socket)",
            "--data-root", directory.appendingPathComponent("data").path,
            "--exec-root", directory.appendingPathComponent("exec").path,
            "--pidfile", directory.appendingPathComponent("dockerd.pid").path,
        ], directory: directory)
        environment = ["DOCKER_HOST": "unix://\(socket)", "DOCKER_BUILDKIT": "1", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        for _ in 0..<200 where service.process.isRunning {
            if (try? Shell.run("/usr/bin/docker", ["info", "--format", "{{.ServerVersion}}"], environment: environment))?.succeeded == true {
                return
            }
            usleep(100_000)
        }
        throw ServiceError("dockerd did not start: \(service.said)")
    }

    /// Stops dockerd (and the containerd it started), so no mount of theirs outlives the test.
    public func stop() { service.stop() }
}
