import EdgeCore
import FileIO
#if canImport(Glibc)
import Glibc
#endif

/// Where the CLI talks to the user: stdout for results, stderr for errors and progress.
enum Terminal {
    static var stdinIsTTY: Bool { isatty(STDIN_FILENO) == 1 }
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    static func printError(_ error: EdgeFlashError) {
        var text = "edgeflash: \(error.message)\n"
        if let hint = error.hint { text += "  \(hint)\n" }
        writeStderr(text)
    }

    static func writeStderr(_ text: String) {
        // write(2) directly: unbuffered, so errors and progress appear at once and in order. A
        // stderr that cannot be written to has no one to tell.
        _ = try? Array(text.utf8).withUnsafeBytes { try writeAll($0, to: STDERR_FILENO) }
    }
}
