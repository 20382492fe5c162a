import Foundation

/// One value as one line of JSON, as `--json` output and the flash log write them: keys sorted so
/// the output is stable, slashes as they are, and every control character escaped. The encoder
/// escapes U+0000..U+001F, all JSON requires; DEL and the C1 controls it leaves raw are written as
/// `\u00NN` here: the same string to a parser, inert to a terminal that shows the line (U+009B is
/// CSI to many). Such a character can only stand inside a JSON string, so the line stays JSON.
public enum JSONLine {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(value), as: UTF8.self)
        guard json.unicodeScalars.contains(where: leftRaw) else { return json }
        var escaped = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if leftRaw(scalar) {
                escaped.append(contentsOf: "\\u00\(String(scalar.value, radix: 16))".unicodeScalars)
            } else {
                escaped.append(scalar)
            }
        }
        return String(escaped)
    }

    private static func leftRaw(_ scalar: Unicode.Scalar) -> Bool {
        (0x7F..<0xA0).contains(scalar.value)
    }
}
