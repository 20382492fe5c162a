import ISOVerify

/// What a write or inject session reports while it runs, tagged with the target it is about, so
/// the events of several sessions (several sticks) can share one output. The caller renders them:
/// a progress line and messages on a terminal, JSON lines for scripts. Nothing in an event holds a
/// user-data secret: the sessions report placements and sizes, never the files' contents.
public struct SessionEvent: Sendable {
    public enum Kind: Sendable {
        /// The image is a readable, non-empty file of this many bytes.
        case imageOpened(bytes: Int64)
        /// The checksum the image will be checked against while it is written; nil when none is
        /// known (the image is unverified).
        case checksumKnown(ExpectedChecksum?)
        /// The safety policy accepts the disk: it is the one the confirmation describes.
        case targetAccepted(Disk)
        case progress(WriteProgress)
        /// The image is on the disk (read back unless `--no-verify`); the user-data volume, if
        /// any, comes next.
        case written(WriteOutcome)
        /// The user-data volume was added or replaced.
        case injected(InjectionPlan)
        /// A disk image's tables were finished on the disk: backup GPT moved, last partition grown.
        case tablesFinished(DiskImageFinish)
    }

    /// The device (or image file) the session changes, as given.
    public var target: String
    public var kind: Kind

    public init(target: String, _ kind: Kind) {
        self.target = target
        self.kind = kind
    }
}
