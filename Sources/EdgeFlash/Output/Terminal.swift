import EdgeCore
import FileIO
#if canImport(Glibc)
import Glibc
#endif

/// Where the CLI talks to the user: stdout for results, stderr for errors and progress. Every
/// message goes out through here, its control characters shown visibly (`VisibleText`): messages
/// quote file content (a bmap's fields, volume labels, partition names), which must not drive the
/// terminal; ArgumentParser's errors too (`Main`). A value quoted within a line is also passed
/// through `VisibleText.inLine` where the line is made, so its newline cannot start a line of its
/// own. `--json` lines are not messages: `JSONLine` escapes every control character in them.
enum Terminal {
    static var stdinIsTTY: Bool { isatty(STDIN_FILENO) == 1 }
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    static func printError(_ error: EdgeFlashError) {
        var text = "edgeflash: \(error.message)\n"
        if let hint = error.hint { text += "  \(hint)\n" }
        writeStderr(text)
    }

    static func writeStderr(_ text: String) {
        writeRaw(VisibleText.escaping(text), to: STDERR_FILENO)
    }

    /// A progress display's own cursor moves (`"\r\u{1B}[K"`...) before `text`, which is shown
    /// visibly as any message is.
    static func writeStderr(cursor: String, _ text: String) {
        writeRaw(cursor + VisibleText.escaping(text), to: STDERR_FILENO)
    }

    static func writeRaw(_ text: String, to descriptor: Int32) {
        // write(2) directly: unbuffered, so errors and progress appear at once and in order. A
        // stream that cannot be written to has no one to tell.
        _ = try? Array(text.utf8).withUnsafeBytes { try writeAll($0, to: descriptor) }
    }
}

/// The commands' `print`: Swift's, with the text shown visibly (`Terminal`). Named so every
/// result a command prints in this module takes this way; `JSONLines` and `Main`'s help (the
/// parser's own text) call `Swift.print`.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    Swift.print(VisibleText.escaping(items.map { "\($0)" }.joined(separator: separator)), terminator: terminator)
}
