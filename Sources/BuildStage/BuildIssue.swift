/// One problem found in the build inputs, with where it is, so every mistake can be shown at once.
public struct BuildIssue: Sendable, Codable, Equatable {
    public enum Severity: String, Sendable, Codable { case error, warning }

    public var severity: Severity
    /// The file the problem is in (".arg", "k8s_version.json"...).
    public var file: String
    /// 1-based line; nil for a default or a whole-file problem.
    public var line: Int?
    /// The build argument concerned, when there is one.
    public var key: String?
    public var message: String
    /// What would be accepted, e.g. "ubuntu, opensuse-leap"; nil when free-form.
    public var allowed: String?

    public init(_ severity: Severity, file: String, line: Int? = nil, key: String? = nil,
                _ message: String, allowed: String? = nil) {
        self.severity = severity
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        self.allowed = allowed
    }

    /// Grouped by file (in the order files first appear), then by line; file-wide issues last.
    public static func sortedByLocation(_ issues: [BuildIssue]) -> [BuildIssue] {
        var fileOrder: [String: Int] = [:]
        for issue in issues where fileOrder[issue.file] == nil { fileOrder[issue.file] = fileOrder.count }
        return issues.enumerated().sorted { a, b in
            let ka = (fileOrder[a.element.file]!, a.element.line ?? Int.max, a.offset)
            let kb = (fileOrder[b.element.file]!, b.element.line ?? Int.max, b.offset)
            return ka < kb
        }.map(\.element)
    }

    /// `file:line: error: message (allowed: ...)`, the shape compilers use so editors can jump to it.
    public var formatted: String {
        var text = line.map { "\(file):\($0)" } ?? file
        text += ": \(severity.rawValue): \(message)"
        if let allowed { text += " (allowed: \(allowed))" }
        return text
    }
}

extension Array where Element == BuildIssue {
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
