import EdgeCore
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
        // write(2) directly: unbuffered, so errors and progress appear at once and in order.
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }
}
