/// Lines of user-data text, split on LF at the Unicode scalar level with a trailing CR dropped.
/// Splitting a Swift String on "\n" misses CRLF files (written on Windows) entirely, because
/// "\r\n" is a single Character: the whole file would be one "line".
enum TextLines {
    static func split(_ text: String) -> [String] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { scalars in
            var line = String(String.UnicodeScalarView(scalars))
            if line.unicodeScalars.last == "\r" { line.unicodeScalars.removeLast() }
            return line
        }
    }
}
