import Foundation

/// Keeps known secret values out of text a user sees: every occurrence of each value is replaced
/// by a placeholder, wherever it appears (an error quoting a file's line, a path, a rendered
/// template). It knows values, not YAML: what counts as a secret is decided where the user-data is
/// read, and handed over as a list, so every module that prints can scrub without knowing YAML.
public struct SecretScrubber: Sendable, Equatable {
    public static let placeholder = "<redacted>"
    /// Nothing to scrub: text passes through as it is.
    public static let none = SecretScrubber(secrets: [])

    /// Longest first, so a secret that contains another is replaced whole.
    public let secrets: [String]

    public init(secrets: [String]) {
        self.secrets = Set(secrets.filter { !$0.isEmpty }).sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// In one pass over the text however many secrets there are; overlapping occurrences are
    /// covered as one.
    public func scrub(_ text: String) -> String {
        secrets.isEmpty ? text : SecretMatcher(secrets).replacingOccurrences(in: text, with: Self.placeholder)
    }

    /// The error as a user will see it, with no secret in its message or hint. An error that quotes
    /// none is returned as it is (its type, and the data it carries, kept); one that does is reworded
    /// (same code, same exit status); an error of no edgeflash type is described and scrubbed.
    public func scrub(_ error: any Error) -> any EdgeFlashError {
        guard let error = error as? EdgeFlashError else {
            return EdgeError(.failure, scrub(String(describing: error)))
        }
        let message = scrub(error.message), hint = error.hint.map(scrub)
        guard message != error.message || hint != error.hint else { return error }
        return EdgeError(rewording: error, message: message, hint: hint)
    }
}
