import EdgeCore

extension EdgeError {
    /// The build inputs had errors; the issues themselves were already printed, one per line.
    public static func invalidInputs(_ issues: [BuildIssue]) -> EdgeError {
        let count = issues.filter { $0.severity == .error }.count
        return EdgeError(.malformed, "\(count) problem\(count == 1 ? "" : "s") in the build inputs",
                         hint: "fix the lines shown above and run the command again")
    }

    /// User-data failed validation; `message` lists the issues (already scrubbed of secrets).
    public static func userDataInvalid(_ message: String) -> EdgeError {
        EdgeError(.malformed, message, hint: "Run 'edgeflash user-data validate FILE' to see every issue.")
    }
}
