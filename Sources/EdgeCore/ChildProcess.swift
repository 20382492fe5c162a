import Foundation

/// Runs an external tool (xorriso, gpgv, a container engine) to completion and keeps what it
/// printed. The one way edgeflash starts child processes, so each caller does not get pipes,
/// lookups and error wording slightly different.
///
/// Output goes to files in a private temporary directory, never to pipes: a chatty tool cannot
/// block on a full pipe, and only the last `captureLimit` bytes of each stream are read back into
/// memory (the end is where tools say what went wrong), so a tool printing gigabytes costs no RAM.
/// stdin is /dev/null: a tool that would prompt fails instead of hanging.
public enum ChildProcess {
    public struct Result: Sendable, Equatable {
        /// The exit status, or the signal number when `signaled`.
        public var status: Int32
        /// true when the tool was killed by a signal rather than exiting.
        public var signaled: Bool
        /// The last `captureLimit` bytes of stdout (stderr too when `mergeOutput`).
        public var stdout: String
        /// The last `captureLimit` bytes of stderr; empty when `mergeOutput`.
        public var stderr: String
        /// true when more was printed than was kept.
        public var truncated: Bool

        public var succeeded: Bool { status == 0 && !signaled }

        /// "exited with 2" / "was killed by signal 9", for messages.
        public var outcome: String { signaled ? "was killed by signal \(status)" : "exited with \(status)" }
    }

    /// The first `tool` on `path` (PATH by default) that is an executable file; nil when none is.
    public static func find(_ tool: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if tool.contains("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
        for directory in (path ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` (a path, or a name looked up on PATH) with `arguments` and waits for it.
    /// Throws only when it cannot be started; a non-zero exit is a `Result`, for the caller to word.
    /// `mergeOutput`: stderr goes to the same file as stdout, interleaved as the tool printed them.
    /// `started` gets the process id once it runs, for a caller that may have to stop it (Ctrl-C).
    /// `environment`: variables set (a value) or removed (nil) for this tool only; the rest inherited.
    public static func run(_ executable: String, _ arguments: [String], captureLimit: Int = 1 << 20,
                           mergeOutput: Bool = false, environment: [String: String?] = [:],
                           started: (Int32) -> Void = { _ in }) throws(EdgeError) -> Result {
        guard let path = find(executable) else {
            throw EdgeError(.unavailable, "\(executable) is not installed (not found on PATH)",
                            hint: "install it (Debian/Ubuntu: apt-get install \((executable as NSString).lastPathComponent)) and run again")
        }
        let fm = FileManager.default
        let scratch = fm.temporaryDirectory.appendingPathComponent("edgeflash-child-\(UUID().uuidString.prefix(8))")
        do {
            // Owner-only: a tool's output may quote the files it was given.
            try fm.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw EdgeError(.failure, "could not create a temporary directory to run \(path): \(error.localizedDescription)",
                            hint: "check that \(fm.temporaryDirectory.path) is writable (or set TMPDIR)")
        }
        defer { try? fm.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if !environment.isEmpty {
            var inherited = ProcessInfo.processInfo.environment
            for (name, value) in environment { inherited[name] = value }
            process.environment = inherited
        }
        process.standardInput = FileHandle.nullDevice
        do {
            guard fm.createFile(atPath: outURL.path, contents: nil), fm.createFile(atPath: errURL.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown)
            }
            let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
            defer { try? out.close(); try? err.close() }
            process.standardOutput = out
            process.standardError = mergeOutput ? out : err
            try process.run()
        } catch {
            throw EdgeError(.unavailable, "could not run \(path): \(error.localizedDescription)")
        }
        started(process.processIdentifier)
        process.waitUntilExit()

        let (stdout, outCut) = tail(of: outURL, limit: captureLimit)
        let (stderr, errCut) = tail(of: errURL, limit: captureLimit)
        return Result(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                      stdout: stdout, stderr: mergeOutput ? "" : stderr, truncated: outCut || errCut)
    }

    /// The last `limit` bytes of a file, as text, and whether anything before them was dropped.
    static func tail(of url: URL, limit: Int) -> (String, Bool) {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return ("", false) }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > UInt64(limit) ? size - UInt64(limit) : 0
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        return (String(decoding: data, as: UTF8.self), start > 0)
    }
}
