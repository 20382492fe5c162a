/// Text from files (a bmap's fields, ISO volume labels, GPT partition names, checksum files, user-data)
/// as a terminal must show it: as text. A control character in it would otherwise be obeyed by the
/// terminal (retitle the window, clear the screen, move the cursor over what was said). Newline and
/// tab stay; ESC is shown as `\e`, the other C0 controls and DEL as `\xNN`, C1 controls as `\u{NN}`.
public enum VisibleText {
    public static func escaping(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isHidden) else { return text }
        var shown = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isHidden(scalar) else {
                shown.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16)
            let code = scalar.value == 0x1B ? "\\e" : scalar.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u{" + hex + "}"
            shown.append(contentsOf: code.unicodeScalars)
        }
        return String(shown)
    }

    /// C0 controls but newline and tab, DEL, and C1 controls.
    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00..<0x20, 0x7F..<0xA0: true
        default: false
        }
    }
}
