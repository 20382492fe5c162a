/// Text from files (a bmap's fields, ISO volume labels, GPT partition names, checksum files, user-data)
/// as a terminal must show it: as text. A control character in it would otherwise be obeyed by the
/// terminal (retitle the window, clear the screen, move the cursor over what was said). ESC is shown
/// as `\e`, the other C0 controls and DEL as `\xNN`, C1 controls as `\u{NN}`.
public enum VisibleText {
    /// A message: its own newlines and tabs stay (a message may span lines), every other control
    /// character is shown. The printer (`Terminal` in the CLI) applies it to everything it writes.
    public static func escaping(_ text: String) -> String {
        shown(text) { $0 != "\n" && $0 != "\t" && isHidden($0) }
    }

    /// A value quoted within one line (a volume label, a partition name, a disk's model or serial):
    /// its newlines and tabs are shown too (`\n`, `\t`), so it cannot start a line of its own and
    /// forge one ("Verified ..."). For human output only; JSON keeps the value as it is.
    public static func inLine(_ text: String) -> String {
        shown(text, where: isHidden)
    }

    private static func shown(_ text: String, where hidden: (Unicode.Scalar) -> Bool) -> String {
        guard text.unicodeScalars.contains(where: hidden) else { return text }
        var shown = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard hidden(scalar) else {
                shown.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16)
            let code = switch scalar.value {
            case 0x0A: "\\n"
            case 0x09: "\\t"
            case 0x1B: "\\e"
            case ..<0x80: "\\x" + (hex.count < 2 ? "0" : "") + hex
            default: "\\u{" + hex + "}"
            }
            shown.append(contentsOf: code.unicodeScalars)
        }
        return String(shown)
    }

    /// C0 controls, DEL, and C1 controls.
    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x7F..<0xA0: true
        default: false
        }
    }
}
