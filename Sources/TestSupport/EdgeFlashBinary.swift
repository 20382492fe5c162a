import Foundation

/// The built `edgeflash` executable, for end-to-end tests. `swift test` builds it beside the test
/// bundle, in the same bin directory.
public enum EdgeFlashBinary {
    public static var url: URL {
        _ = testLog
        if let override = ProcessInfo.processInfo.environment["EDGEFLASH_BIN"] {
            return URL(fileURLWithPath: override)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // xctest bundles run from .build/debug/NAME.xctest or from .build/debug itself.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("edgeflash")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/edgeflash")
    }

    /// The flash log of every edgeflash this test process runs without `--log`: a file of its own
    /// (through EDGEFLASH_LOG, inherited by every child), so test runs as root never fill the
    /// machine's /var/log/edgeflash/flash.jsonl.
    public static let testLog: String = {
        if let given = ProcessInfo.processInfo.environment["EDGEFLASH_LOG"], !given.isEmpty { return given }
        let path = NSTemporaryDirectory() + "edgeflash-tests-\(getpid())-flash.jsonl"
        setenv("EDGEFLASH_LOG", path, 1)
        return path
    }()

    /// Runs `edgeflash` with arguments and returns its exit status and output.
    @discardableResult
    public static func run(_ arguments: [String], stdin: Data? = nil,
                           environment: [String: String]? = nil) throws -> ShellResult {
        try Shell.run(url.path, arguments, stdin: stdin, environment: environment)
    }
}
