import Foundation
import Yams

/// Replaces the secrets in user-data text (tokens, passwords, registry credentials, private keys)
/// with a placeholder while keeping the rest, comments included, so `user-data show` stays useful.
/// Every output path that could carry user-data text goes through here.
public enum UserDataRedactor {
    public static let placeholder = "<redacted>"

    /// True for key names that hold secrets: edgeHostToken, password, registryCredentials, privateKey...
    public static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased().replacingOccurrences(of: "_", with: "").replacingOccurrences(of: "-", with: "")
        return ["token", "password", "passwd", "secret", "credential", "privatekey", "apikey"]
            .contains { lowered.contains($0) }
    }

    /// The text with every secret value replaced by `placeholder`.
    public static func redact(_ text: String) -> String {
        var output: [String] = []
        var secretBlockIndent: Int?      // inside the value of a secret key written over several lines
        var inPrivateKey = false
        for line in TextLines.split(text) {
            let indent = line.prefix { $0 == " " }.count
            let trimmed = line.trimmingCharacters(in: .whitespaces)
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
            if let blockIndent = secretBlockIndent {
                if trimmed.isEmpty || indent > blockIndent {
                    if let redacted = redactedChildLine(line) { output.append(redacted) }
                    continue
                }
                secretBlockIndent = nil
            }
            if let key = BlockKey(line), isSecretKey(key.name) {
                if key.value.isEmpty || key.value.hasPrefix("|") || key.value.hasPrefix(">") || key.value.hasPrefix("&") {
                    secretBlockIndent = key.indent
                }
                output.append(key.prefix + (key.value.isEmpty ? "" : " " + placeholder))
                continue
            }
            output.append(redactInline(line))
        }
        return output.joined(separator: "\n")
    }

    /// Every secret value found in the parsed document, for scrubbing other text (error messages,
    /// rendered templates) that might quote one.
    public static func secretValues(in text: String) -> [String] {
        var values: [String] = []
        func collect(_ node: Node, secret: Bool) {
            switch node {
            case .scalar(let scalar):
                if secret || scalar.string.contains("PRIVATE KEY") { values.append(scalar.string) }
            case .mapping(let mapping):
                for (key, value) in mapping { collect(value, secret: secret || isSecretKey(key.string ?? "")) }
            case .sequence(let sequence):
                for item in sequence { collect(item, secret: secret) }
            case .alias:
                break
            }
        }
        if let root = try? Yams.compose(yaml: text) { collect(root, secret: false) }
        // Line by line too, so a file that does not parse still has its secrets known (and scrubbed
        // wherever else they appear in it).
        for line in TextLines.split(text) where !line.isEmpty {
            guard let key = BlockKey(line), isSecretKey(key.name), !key.value.isEmpty,
                  !["|", ">", "&"].contains(where: key.value.hasPrefix) else { continue }
            values.append(key.value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'")))
        }
        return values.filter { $0.count >= 4 }
    }

    /// `text` with each of `secrets` replaced by the placeholder.
    public static func scrub(_ text: String, secrets: [String]) -> String {
        secrets.sorted { $0.count > $1.count }.reduce(text) {
            $0.replacingOccurrences(of: $1, with: placeholder)
        }
    }

    /// A line inside a secret block: keep a child key so the shape shows, drop everything else.
    private static func redactedChildLine(_ line: String) -> String? {
        if let key = BlockKey(line) {
            return key.prefix + (key.value.isEmpty ? "" : " " + placeholder)
        }
        return nil
    }

    private static let inlineSecret = try! NSRegularExpression(
        // A key starts a line or follows `{`, `,`, `[` or a space, and is at most 64 characters:
        // otherwise the pattern is tried, and backtracks, at every position of a long line (a 1 MB
        // base64 `write_files` line took minutes).
        pattern: #"(?:^|(?<=[\s{,\[]))(["']?)([A-Za-z0-9_\-]{0,64}(?:token|password|passwd|secret|credential|privatekey|private_key|apikey|api_key)[A-Za-z0-9_\-]{0,64})\1(\s*:\s*)("[^"]*"|'[^']*'|[^,}\]\n#]*[^,}\]\n#\s])"#,
        options: [.caseInsensitive])

    /// Secrets in flow style on one line: `{edgeHostToken: abc, name: x}`.
    private static func redactInline(_ line: String) -> String {
        let lowered = line.lowercased()
        guard ["token", "passw", "secret", "credential", "private", "apikey", "api_key"].contains(where: lowered.contains) else { return line }
        let range = NSRange(line.startIndex..., in: line)
        return inlineSecret.stringByReplacingMatches(in: line, range: range, withTemplate: "$1$2$1$3" + placeholder)
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
