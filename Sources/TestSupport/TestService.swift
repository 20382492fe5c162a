import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A daemon the test process starts for its tests (a registry, dockerd): its output goes to a log
/// in its own directory; it is stopped and the directory removed when the process exits, since
/// shared fixtures have no teardown hook.
struct TestService: @unchecked Sendable {
    let process: Process
    let log: URL

    static func start(_ executable: String, _ arguments: [String], directory: URL) throws -> TestService {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let log = directory.appendingPathComponent((executable as NSString).lastPathComponent + ".log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        stopAtExit(process.processIdentifier, directory: directory)
        return TestService(process: process, log: log)
    }

    /// Stops the daemon now (SIGTERM, then waits for it) rather than when the process exits.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// What the daemon printed, for a failure message.
    var said: String { String(((try? String(contentsOf: log, encoding: .utf8)) ?? "").suffix(2000)) }

    nonisolated(unsafe) static var exitSteps: [() -> Void] = []

    /// Runs `step` when the test process exits, after the steps registered later (as atexit does).
    static func atExit(_ step: @escaping () -> Void) {
        exitSteps.append(step)
        if exitSteps.count == 1 {
            atexit { for step in TestService.exitSteps.reversed() { step() } }
        }
    }

    static func stopAtExit(_ pid: pid_t, directory: URL) {
        atExit {
            if kill(pid, SIGTERM) == 0 {
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
            try? FileManager.default.removeItem(at: directory)
        }
    }
}

/// A test service could not start: what it said.
public struct ServiceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
