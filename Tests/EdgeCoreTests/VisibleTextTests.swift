import EdgeCore
import Foundation
import Testing

/// Control characters from file content are shown, not obeyed by the terminal.
struct VisibleTextTests {
    @Test func controlCharactersAreShownAndTextIsLeftAlone() {
        #expect(VisibleText.escaping("\u{1B}]0;pwned\u{07}\u{1B}[2J") == "\\e]0;pwned\\x07\\e[2J")
        #expect(VisibleText.escaping("a\u{00}b\u{7F}c\u{9B}31m\r") == "a\\x00b\\x7fc\\u{9b}31m\\x0d")
        let plain = "disk.img: 2 lines\n\tindented, ünïcode 日本, \"quoted\""
        #expect(VisibleText.escaping(plain) == plain)
    }

    /// A label that holds a newline would otherwise start a line of its own ("Verified ...").
    @Test func aValueInALineShowsItsLineBreaksToo() {
        #expect(VisibleText.inLine("EFI\nVerified: sha256 OK\tx\u{1B}[2J") == "EFI\\nVerified: sha256 OK\\tx\\e[2J")
        #expect(VisibleText.inLine("SanDisk Ultra 日本") == "SanDisk Ultra 日本")
    }

    /// Was: U+009B (CSI to many terminals) and DEL reached a terminal that showed the JSON raw.
    @Test func jsonLinesEscapeC1ControlsAndStillReadBackTheSame() throws {
        let label = "A\u{9B}2J\u{7F}\u{80}\u{9F}\n\u{1B}]0;t\u{07} é/日本"
        let line = try JSONLine.encode(["label": label])
        #expect(line == #"{"label":"A\u009b2J\u007f\u0080\u009f\n\u001b]0;t\u0007 é/日本"}"#)
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) })
        #expect(try JSONDecoder().decode([String: String].self, from: Data(line.utf8)) == ["label": label])
    }
}
