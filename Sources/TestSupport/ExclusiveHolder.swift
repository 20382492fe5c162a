import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Another program holding a block device open with O_EXCL, as a mounted filesystem or another
/// flasher does: a child python3 that opens it, says "held", and waits until `release()` (or deinit).
/// The kernel then refuses any other exclusive open of the device with EBUSY.
public final class ExclusiveHolder: @unchecked Sendable {
    private let process = Process()

    /// Returns once the device is held.
    public init(_ device: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import os, time; os.open('\(device)', os.O_RDONLY | os.O_EXCL); print('held', flush=True); time.sleep(600)"]
        let ready = Pipe()
        process.standardOutput = ready
        try process.run()
        let said = String(decoding: ready.fileHandleForReading.readData(ofLength: 4), as: UTF8.self)
        guard said == "held" else {
            release()
            throw ShellError(command: "hold \(device) with O_EXCL", result: ShellResult(status: -1, stdout: said, stderr: ""))
        }
    }

    public func release() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { release() }
}
