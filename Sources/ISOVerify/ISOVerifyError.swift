import EdgeCore

/// An error from reading or checking an image or a file that describes it (checksum list,
/// signature). Each case names the file and what was wrong with it, so the CLI prints it as is.
public struct ISOVerifyError: EdgeFlashError, Equatable {
    public let message: String
    public let hint: String?
    public let exitStatus: ExitStatus

    public init(_ message: String, hint: String? = nil, exitStatus: ExitStatus = .invalidInput) {
        self.message = message
        self.hint = hint
        self.exitStatus = exitStatus
    }

    /// Reading a file failed (missing, unreadable, I/O error).
    static func io(_ path: String, _ what: String) -> ISOVerifyError {
        ISOVerifyError("cannot read \(path): \(what)", exitStatus: .ioError)
    }
}
