import EdgeCore

extension EdgeError {
    /// The build inputs had errors; the issues themselves were already printed, one per line.
    public static func invalidInputs(_ issues: [BuildIssue]) -> EdgeError {
        let count = issues.filter { $0.severity == .error }.count
        return EdgeError(.malformed, "\(count) problem\(count == 1 ? "" : "s") in the build inputs",
                         hint: "fix the lines shown above and run the command again")
    }

    /// User-data failed validation; `message` lists the issues (already scrubbed of secrets).
    /// `command` reproduces them (a template's needs its sites file and site).
    public static func userDataInvalid(_ message: String, validate command: String? = nil) -> EdgeError {
        EdgeError(.malformed, message, hint: "Run '\(command ?? "edgeflash user-data validate FILE")' to see every issue.")
    }
}
