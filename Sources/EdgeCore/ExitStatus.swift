/// The exit codes edgeflash documents in the README. They are stable: scripts depend on them.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Everything asked for was done and checked.
    case success = 0
    /// Something failed that fits no other code (an unexpected system error).
    case failure = 1
    /// The command line was wrong (ArgumentParser's own validation also uses 64).
    case usage = 64
    /// A safety check refused the operation; the message names the override, if one exists.
    case refused = 3
    /// A checksum, signature or read-back verification did not match.
    case mismatch = 4
    /// Reading or writing a device or file failed.
    case ioError = 5
    /// The input (ISO, user-data, .arg, k8s_version.json...) is invalid.
    case invalidInput = 6
    /// The user declined the confirmation, or there was no TTY and no --yes.
    case notConfirmed = 7
    /// Interrupted by SIGINT/SIGTERM; the target is incomplete.
    case interrupted = 130
}

extension ExitStatus {
    /// When several targets of one command failed differently, the status it exits with is the
    /// first of these that any target had: an interruption (the run was stopped), a mismatch (the
    /// image or a stick is not what it should be), an I/O error, invalid input, a refusal, no
    /// confirmation, a usage error, anything else. Success only when every target succeeded.
    public static let bySeriousness: [ExitStatus] = [.interrupted, .mismatch, .ioError, .invalidInput, .refused,
                                                     .notConfirmed, .usage, .failure]

    public static func mostSerious(_ statuses: [ExitStatus]) -> ExitStatus {
        bySeriousness.first(where: statuses.contains) ?? .success
    }
}
