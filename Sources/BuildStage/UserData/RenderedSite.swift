/// The site a template was rendered for: an error in its user-data names the site and its entry
/// in the sites file (the template is fine for the other sites), and the command that shows it.
public struct RenderedSite: Sendable, Equatable {
    public var name: String
    public var template: String
    public var sitesFile: String
    /// Where the site is in the sites file: "row 4" (CSV, the header is row 1) or "line 12" (YAML).
    public var entry: String

    /// `site 'badone' (sites.csv row 4)`
    public var description: String { "site '\(name)' (\(sitesFile) \(entry))" }

    /// The command that renders and validates this site's user-data alone.
    public var validateCommand: String {
        "edgeflash user-data validate \(Self.shellWord(template)) --sites \(Self.shellWord(sitesFile)) --site \(Self.shellWord(name))"
    }

    /// `text` as one word of a shell command, to copy and paste.
    private static func shellWord(_ text: String) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+=:,@")
        if !text.isEmpty, text.allSatisfy(plain.contains) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
