import EdgeCore

/// Errors of the build side that stop a command, each naming the file it is about.
public struct BuildStageError: EdgeFlashError {
    public let message: String
    public let hint: String?
    public let exitStatus: ExitStatus

    public init(_ message: String, hint: String? = nil, exitStatus: ExitStatus = .invalidInput) {
        self.message = message
        self.hint = hint
        self.exitStatus = exitStatus
    }

    /// The build inputs had errors; the issues themselves were already printed, one per line.
    public static func invalidInputs(_ issues: [BuildIssue]) -> BuildStageError {
        let count = issues.filter { $0.severity == .error }.count
        return BuildStageError("\(count) problem\(count == 1 ? "" : "s") in the build inputs",
                               hint: "fix the lines shown above and run the command again")
    }
}
