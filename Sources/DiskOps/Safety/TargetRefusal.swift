import EdgeCore

/// Why a target was refused. The message says what was refused and why; the hint names the flag
/// that overrides it, or says plainly that nothing does.
public struct TargetRefusal: EdgeFlashError, Equatable {
    public enum Reason: String, Sendable, CaseIterable {
        case missing, notBlockDevice, partition, unknownDevice, systemDisk, holdsImage, aliasOfProtected, readOnly
        case tooSmall, heldByStack, mounted, unmountFailed, notCandidate, busy, notExpected, staleLink
    }

    public let reason: Reason
    public let message: String
    public let hint: String?
    public var exitStatus: ExitStatus { .refused }

    public init(_ reason: Reason, _ message: String, hint: String?) {
        self.reason = reason
        self.message = message
        self.hint = hint
    }
}
