/// One `KEY=VALUE` assignment from a `.arg` file, after quote removal and `$VAR` expansion.
public struct ArgEntry: Sendable, Equatable {
    public var key: String
    public var value: String
    public var line: Int
}

/// A parsed `.arg` file (the CanvOS build arguments): its assignments in order, and the problems
/// found while reading it. Pure: text in, values out. Messages name variables, never quote values:
/// a value may come from the environment, or hold a proxy password.
public struct ArgFile: Sendable {
    /// The longest value `$VAR` expansion may build. Each value becomes one `--build-arg KEY=VALUE`
    /// argument of the image build, and Linux refuses a single argument over 128 KiB; real values
    /// (proxies, CMDLINE, image references) are under 1 KiB. Without a limit, 40 lines that each
    /// double the one before (`B=$A$A`) allocate until the process dies.
    public static let maximumValueLength = 64 << 10

    public var file: String
    public var entries: [ArgEntry]
    public var issues: [BuildIssue]

    /// The last assignment of `key` (later lines win, as when the file is sourced by a shell).
    public func entry(_ key: String) -> ArgEntry? { entries.last { $0.key == key } }

    /// Parses `text`. `$VAR` and `${VAR}` expand from earlier keys first, then from `environment`.
    public static func parse(_ text: String, file: String, environment: [String: String] = [:]) -> ArgFile {
        var result = ArgFile(file: file, entries: [], issues: [])
        var defined: [String: Int] = [:]
        var values: [String: String] = [:]
        // Split on any newline: "\r\n" is one Character in Swift, so splitting on "\n" would miss it.
        // A byte-order mark (Windows editors add one) is not part of the first line's key or comment.
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            var line = Substring(rawLine)
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).drop { $0 == " " } }
            guard let equals = line.firstIndex(of: "=") else {
                result.issues.append(BuildIssue(.error, file: file, line: lineNumber,
                    "expected KEY=VALUE: the line has no '='"))
                continue
            }
            let key = String(line[..<equals]).trimmingTrailingSpaces
            guard isValidKey(key) else {
                result.issues.append(BuildIssue(.error, file: file, line: lineNumber,
                    "the text before '=' is not a valid argument name", allowed: "letters, digits and '_', not starting with a digit"))
                continue
            }
            let lookup: (String) -> String? = { name in values[name] ?? environment[name] }
            var problems: [String] = []
            let value: String
            do {
                value = try ValueReader.read(line[line.index(after: equals)...], lookup: lookup, problems: &problems)
            } catch {
                result.issues.append(BuildIssue(.error, file: file, line: lineNumber, key: key,
                    "\(key) grows past \(maximumValueLength) bytes when $\(error.variable) is expanded; it is left empty",
                    allowed: "values of at most \(maximumValueLength) bytes after expansion"))
                value = ""
            }
            for problem in problems {
                result.issues.append(BuildIssue(problem.hasPrefix("unterminated") ? .error : .warning,
                                                file: file, line: lineNumber, key: key, problem))
            }
            if let earlier = defined[key] {
                result.issues.append(BuildIssue(.warning, file: file, line: lineNumber, key: key,
                    "\(key) is set again (first set on line \(earlier)); the later value is used"))
            }
            defined[key] = defined[key] ?? lineNumber
            values[key] = value
            result.entries.append(ArgEntry(key: key, value: value, line: lineNumber))
        }
        return result
    }

    static func isValidKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return key.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}

/// `$VAR` expansion stopped: the value would pass `ArgFile.maximumValueLength`.
struct ValueTooLong: Error {
    /// The variable whose expansion passed the limit.
    var variable: String
}

/// Reads the value part of one line: unquoted (ends at ` #`), "double" (expands, `\` escapes) or
/// 'single' (literal), as a POSIX shell sourcing the file would.
enum ValueReader {
    static func read(_ text: Substring, lookup: (String) -> String?, problems: inout [String]) throws(ValueTooLong) -> String {
        var output = ""
        var rest = text
        func appendExpansion() throws(ValueTooLong) {
            let (name, value) = expand(&rest, lookup: lookup, problems: &problems)
            guard output.utf8.count + value.utf8.count <= ArgFile.maximumValueLength else { throw ValueTooLong(variable: name) }
            output += value
        }
        while let char = rest.first {
            switch char {
            case "'":
                rest = rest.dropFirst()
                guard let close = rest.firstIndex(of: "'") else {
                    problems.append("unterminated single quote")
                    return output + rest
                }
                output += rest[..<close]
                rest = rest[rest.index(after: close)...]
            case "\"":
                rest = rest.dropFirst()
                var closed = false
                while let inner = rest.first {
                    rest = rest.dropFirst()
                    if inner == "\"" { closed = true; break }
                    if inner == "\\", let next = rest.first, "\"\\$`".contains(next) {
                        output.append(next); rest = rest.dropFirst()
                    } else if inner == "$" {
                        try appendExpansion()
                    } else {
                        output.append(inner)
                    }
                }
                if !closed { problems.append("unterminated double quote") }
            case " ", "\t":
                // Unquoted whitespace ends the value; what follows may only be a comment.
                let trailing = rest.drop { $0 == " " || $0 == "\t" }
                if rest.startIndex == text.startIndex && !trailing.isEmpty && !trailing.hasPrefix("#") {
                    // `KEY = value`: a shell sets KEY to "" here; say which space is the culprit.
                    problems.append("a space after '=' leaves the value empty and the rest of the line is ignored (write KEY=value without spaces around '=')")
                } else if !trailing.isEmpty && !trailing.hasPrefix("#") {
                    problems.append("unquoted space in the value; the rest of the line after it is ignored (quote the value to keep it)")
                }
                return output
            case "$":
                rest = rest.dropFirst()
                try appendExpansion()
            case "\\":
                rest = rest.dropFirst()
                if let next = rest.first { output.append(next); rest = rest.dropFirst() }
            default:
                output.append(char)
                rest = rest.dropFirst()
            }
        }
        return output
    }

    /// Expands the reference after a `$`: `NAME` or `{NAME}`, giving the name and its value. An
    /// unknown name expands to "" with a warning.
    static func expand(_ rest: inout Substring, lookup: (String) -> String?, problems: inout [String]) -> (name: String, value: String) {
        let isNameChar: (Character) -> Bool = { $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }
        var name: Substring
        if rest.first == "{" {
            guard let close = rest.firstIndex(of: "}") else {
                problems.append("unterminated ${ reference")
                rest = rest.dropFirst(rest.count)
                return ("", "")
            }
            name = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...]
        } else {
            name = rest.prefix(while: isNameChar)
            rest = rest.dropFirst(name.count)
            if name.isEmpty { return ("", "$") }
        }
        if let value = lookup(String(name)) { return (String(name), value) }
        problems.append("$\(name) is not set earlier in the file nor in the environment; it expands to an empty string")
        return (String(name), "")
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var copy = self
        while copy.last == " " || copy.last == "\t" { copy.removeLast() }
        return copy
    }
}
