import EdgeCore
import Foundation

/// Replaces the secrets in user-data text with a placeholder while keeping the rest, comments
/// included, so `user-data show` stays useful. What counts as a secret:
/// - the value of a key that names one (`isSecretKey`: tokens, passwords, passphrases, secrets,
///   credentials, API and access keys, `auth`), all of it: continuation lines of a plain or quoted
///   value, block scalars (`|`, `>`), everything under a mapping, an anchored node an alias repeats;
/// - such `key: value` and `key=value` pairs inside a line (flow style, comments, a file's content);
/// - private keys (PEM blocks), wherever they are;
/// - the credentials in a URL (`http://user:pass@proxy`).
/// Every one of those values is then also replaced wherever else it appears (as a key, in a comment,
/// in a message). Every output path that could carry user-data text goes through here.
public enum UserDataRedactor {
    public static let placeholder = SecretScrubber.placeholder
    /// Shorter values are not scrubbed elsewhere: they would erase ordinary words.
    static let minimumSecretLength = 4

    /// True for key names that hold secrets: edgeHostToken, password, passphrase, registryCredentials,
    /// privateKey, apiKey, basicAuth...
    public static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased().replacingOccurrences(of: "_", with: "").replacingOccurrences(of: "-", with: "")
        return ["token", "password", "passwd", "passphrase", "secret", "credential", "privatekey", "apikey",
                "accesskey", "authorization"].contains { lowered.contains($0) }
            || lowered.hasSuffix("auth") || lowered.hasSuffix("auths")
    }

    /// The text with every secret replaced by `placeholder`.
    public static func redact(_ text: String) -> String {
        scrub(redactLines(text), secrets: secretValues(in: text))
    }

    /// Every secret value in `text`, for scrubbing other text (messages, a rendered template) that
    /// might quote one: from the parsed document (with the source lines of values written over
    /// several lines), and line by line too, so a file that does not parse still has its secrets known.
    public static func secretValues(in text: String) -> [String] {
        let lines = TextLines.split(text)
        var values: [String] = []
        for scalar in YAMLScan(text).scalars {
            values += URLCredentials.values(in: scalar.value)
            guard scalar.secret else { continue }
            values.append(scalar.value)
            values += scalar.value.split(whereSeparator: \.isNewline).map(String.init)
            values += sourceLines(of: scalar, in: lines)
        }
        for line in lines where !line.isEmpty {
            if let key = BlockKey(line), isSecretKey(key.name), !key.value.isEmpty,
               !["|", ">", "&"].contains(where: key.value.hasPrefix) {
                values.append(key.value)
            }
            let ns = line as NSString
            values += InlineSecrets.valueRanges(in: line).map(ns.substring(with:))
            values += URLCredentials.values(in: line)
        }
        var seen: Set<String> = []
        return values.map(trimmedValue).filter { value in
            value.count >= minimumSecretLength && !plainKeywords.contains(value.lowercased()) && seen.insert(value).inserted
        }
    }

    /// `text` with every occurrence of each of `secrets` (of `minimumSecretLength` or more) replaced
    /// by the placeholder: the library's one scrubber, in one pass however many there are.
    public static func scrub(_ text: String, secrets: [String]) -> String {
        SecretScrubber(secrets: secrets.filter { $0.count >= minimumSecretLength }).scrub(text)
    }

    /// Values that are YAML keywords, not secrets, even under a secret key (`insecure: true` in
    /// registryCredentials): scrubbing them would blank every `true` in a message.
    private static let plainKeywords: Set<String> = ["true", "false", "null", "yes", "no", "on", "off"]

    /// A value as it could be quoted elsewhere: without surrounding space, quotes, or a line's
    /// trailing escape.
    private static func trimmedValue(_ value: String) -> String {
        var trimmed = value.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("\\") { trimmed.removeLast() }
        return trimmed.trimmingCharacters(in: CharacterSet(charactersIn: "\"' \t"))
    }

    /// The text of a value written over several lines, line by line as the file has it (a folded or
    /// quoted value is joined differently once parsed).
    private static func sourceLines(of scalar: YAMLScan.Scalar, in lines: [String]) -> [String] {
        guard scalar.endLine > scalar.startLine, scalar.endLine < lines.count else { return [] }
        return (scalar.startLine...scalar.endLine).map { index in
            var line = Substring(lines[index])
            if index == scalar.endLine { line = line.prefix(scalar.endColumn) }
            if index == scalar.startLine { line = line.dropFirst(scalar.startColumn) }
            return String(line)
        }
    }

    /// Line by line: secret keys' values (and every line that continues them), private keys, inline
    /// pairs and URL credentials.
    static func redactLines(_ text: String) -> String {
        var output: [String] = []
        var secretBlockIndent: Int?      // inside the value of a secret key written over several lines
        var continuationIndent: Int?     // after `key: value`, deeper lines continue the value
        var openQuote: Character?        // a quoted secret value still open at the end of its line
        var inPrivateKey = false
        for line in TextLines.split(text) {
            let indent = line.prefix { $0 == " " }.count
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let quote = openQuote {
                if QuotedValue.closes(Substring(line), quote: quote) { openQuote = nil }
                continue
            }
            if inPrivateKey {
                if trimmed.contains("-----END") { inPrivateKey = false }
                continue
            }
            if trimmed.contains("-----BEGIN"), trimmed.contains("PRIVATE KEY") {
                if !trimmed.contains("-----END") { inPrivateKey = true }
                let head = line.range(of: "-----BEGIN").map { String(line[..<$0.lowerBound]) } ?? ""
                output.append(head + placeholder)
                continue
            }
            if let deeper = continuationIndent {
                if trimmed.isEmpty || indent > deeper { continue }
                continuationIndent = nil
            }
            if let blockIndent = secretBlockIndent {
                if trimmed.isEmpty || indent > blockIndent {
                    if let redacted = redactedChildLine(line) { output.append(redacted) }
                    continue
                }
                secretBlockIndent = nil
            }
            if let key = BlockKey(line), isSecretKey(key.name) {
                if key.value.isEmpty || ["|", ">", "&"].contains(where: key.value.hasPrefix) {
                    secretBlockIndent = key.indent
                } else {
                    continuationIndent = key.indent
                    openQuote = QuotedValue.openQuote(key.value)
                }
                output.append(key.prefix + (key.value.isEmpty ? "" : " " + placeholder))
                continue
            }
            output.append(redactSpans(line))
        }
        return output.joined(separator: "\n")
    }

    /// A line inside a secret block: keep a child key so the shape shows, drop everything else.
    private static func redactedChildLine(_ line: String) -> String? {
        if let key = BlockKey(line) {
            return key.prefix + (key.value.isEmpty ? "" : " " + placeholder)
        }
        return nil
    }

    /// Inline secret pairs and URL credentials in one line replaced.
    private static func redactSpans(_ line: String) -> String {
        let spans = (InlineSecrets.valueRanges(in: line) + URLCredentials.ranges(in: line)).sorted { $0.location < $1.location }
        guard !spans.isEmpty else { return line }
        let ns = line as NSString
        var output = "", position = 0
        for span in spans where span.location >= position {
            output += ns.substring(with: NSRange(location: position, length: span.location - position)) + placeholder
            position = NSMaxRange(span)
        }
        return output + ns.substring(from: position)
    }
}

/// `key: value` and `key=value` pairs inside one line (flow style `{token: x}`, a comment, an env
/// file in `write_files`) whose key names a secret.
enum InlineSecrets {
    // A key starts a line or follows `{`, `,`, `[` or a space and is at most 128 characters, so
    // the pattern starts only at word boundaries and never backtracks over a long line (a 1 MB
    // base64 `write_files` line took minutes with an earlier pattern).
    private static let key = try! NSRegularExpression(pattern: #"(?:^|(?<=[\s{,\[]))(["']?)([A-Za-z0-9_\-]{1,128})\1[ \t]*[:=][ \t]*"#)

    /// The UTF-16 ranges of the values of secret pairs in `line`.
    static func valueRanges(in line: String) -> [NSRange] {
        let ns = line as NSString
        return key.matches(in: line, range: NSRange(location: 0, length: ns.length)).compactMap { match in
            guard UserDataRedactor.isSecretKey(ns.substring(with: match.range(at: 2))) else { return nil }
            let start = NSMaxRange(match.range)
            guard start < ns.length else { return nil }
            var end = start
            let first = ns.character(at: start)
            if first == 0x22 || first == 0x27 {                      // "quoted" or 'quoted'
                let close = ns.range(of: String(UnicodeScalar(UInt8(first))), range: NSRange(location: start + 1, length: ns.length - start - 1))
                end = close.location == NSNotFound ? ns.length : NSMaxRange(close)
            } else {
                let stops = CharacterSet(charactersIn: ",}]#")
                while end < ns.length, let scalar = UnicodeScalar(ns.character(at: end)), !stops.contains(scalar) { end += 1 }
                while end > start, ns.character(at: end - 1) == 0x20 || ns.character(at: end - 1) == 0x09 { end -= 1 }
            }
            return end > start ? NSRange(location: start, length: end - start) : nil
        }
    }
}

/// The user information in URLs (`http://user:pass@proxy:3128`): credentials wherever they are.
enum URLCredentials {
    private static let pattern = try! NSRegularExpression(pattern: #"[A-Za-z][A-Za-z0-9+.\-]{0,31}://([^\s/?#@'"]+)@"#)

    /// The UTF-16 ranges of the user information in `text`.
    static func ranges(in text: String) -> [NSRange] {
        guard text.contains("://") else { return [] }
        return pattern.matches(in: text, range: NSRange(location: 0, length: (text as NSString).length)).map { $0.range(at: 1) }
    }

    /// Each `user:pass`, and the password alone, as secrets to scrub.
    static func values(in text: String) -> [String] {
        let ns = text as NSString
        return ranges(in: text).flatMap { range -> [String] in
            let userInfo = ns.substring(with: range)
            let password = userInfo.split(separator: ":", maxSplits: 1).dropFirst().first.map(String.init)
            return [userInfo] + (password.map { [$0] } ?? [])
        }
    }
}

/// A quoted YAML value that may go on over several lines.
enum QuotedValue {
    /// The quote of `value` when it opens one it does not close on the same line.
    static func openQuote(_ value: String) -> Character? {
        guard let quote = value.first, quote == "\"" || quote == "'" else { return nil }
        return closes(value.dropFirst(), quote: quote) ? nil : quote
    }

    /// Whether `text` (inside a quoted value) holds its closing quote: `\"` escapes in double
    /// quotes, `''` in single quotes.
    static func closes(_ text: Substring, quote: Character) -> Bool {
        var rest = text
        while let char = rest.first {
            rest = rest.dropFirst()
            if quote == "\"" && char == "\\" { rest = rest.dropFirst(); continue }
            if char == quote {
                if quote == "'" && rest.first == "'" { rest = rest.dropFirst(); continue }
                return true
            }
        }
        return false
    }
}

/// A block-style `key: value` line (optionally a list item), split into its parts.
private struct BlockKey {
    let indent: Int
    let name: String
    let prefix: String   // everything up to and including the colon
    let value: String    // what follows the colon, trimmed; empty for a nested block

    private static let pattern = try! NSRegularExpression(pattern: #"^(\s*(?:-\s+)?)(["']?)([^:"'#{}\[\],]+)\2\s*:(?=\s|$)\s*(.*)$"#)

    init?(_ line: String) {
        let range = NSRange(line.startIndex..., in: line)
        guard let match = Self.pattern.firstMatch(in: line, range: range),
              let lead = Range(match.range(at: 1), in: line),
              let nameRange = Range(match.range(at: 3), in: line),
              let valueRange = Range(match.range(at: 4), in: line) else { return nil }
        indent = line[lead].count
        name = String(line[nameRange]).trimmingCharacters(in: .whitespaces)
        prefix = String(line[..<valueRange.lowerBound]).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression)
        var rest = String(line[valueRange])
        if let comment = rest.range(of: " #") { rest = String(rest[..<comment.lowerBound]) }
        value = rest.trimmingCharacters(in: .whitespaces)
    }
}
