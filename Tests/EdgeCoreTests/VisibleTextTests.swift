import EdgeCore
import Testing

/// Control characters from file content are shown, not obeyed by the terminal.
struct VisibleTextTests {
    @Test func controlCharactersAreShownAndTextIsLeftAlone() {
        #expect(VisibleText.escaping("\u{1B}]0;pwned\u{07}\u{1B}[2J") == "\\e]0;pwned\\x07\\e[2J")
        #expect(VisibleText.escaping("a\u{00}b\u{7F}c\u{9B}31m\r") == "a\\x00b\\x7fc\\u{9b}31m\\x0d")
        let plain = "disk.img: 2 lines\n\tindented, ünïcode 日本, \"quoted\""
        #expect(VisibleText.escaping(plain) == plain)
    }
}
