/// The error of every module: a `Code` that says what kind of failure it is (and so the exit
/// status), a message that names the file or device, and what to do next.
///
/// Callers tell errors apart by `code`, never by which module threw them or by parsing the message.
public struct EdgeError: EdgeFlashError, Equatable {
    /// What kind of failure. A struct, not an enum, so a module can add a code without breaking
    /// callers that switch over the others; each code fixes the exit status scripts see.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public let exitStatus: ExitStatus

        public init(_ name: String, exitStatus: ExitStatus) {
            self.name = name
            self.exitStatus = exitStatus
        }

        public var description: String { name }

        /// The input (an image, user-data, .arg, a checksum list, a partition table...) is not what
        /// it must be.
        public static let malformed = Code("malformed", exitStatus: .invalidInput)
        /// Reading or writing a file or device failed.
        public static let io = Code("io", exitStatus: .ioError)
        /// A safety check refused the operation; the hint names the override, if one exists.
        public static let refused = Code("refused", exitStatus: .refused)
        /// A checksum, signature or read-back did not match.
        public static let mismatch = Code("mismatch", exitStatus: .mismatch)
        /// SIGINT or SIGTERM stopped the operation.
        public static let interrupted = Code("interrupted", exitStatus: .interrupted)
        /// The user declined, or nobody could be asked.
        public static let notConfirmed = Code("notConfirmed", exitStatus: .notConfirmed)
        /// The command line was wrong.
        public static let usage = Code("usage", exitStatus: .usage)
        /// A tool edgeflash runs (xorriso, gpgv, a container engine) is missing or could not start.
        public static let unavailable = Code("unavailable", exitStatus: .failure)
        /// Anything else: an unexpected system error.
        public static let failure = Code("failure", exitStatus: .failure)
    }

    public let code: Code
    public let message: String
    public let hint: String?

    public init(_ code: Code, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    /// The same failure as `error`, reworded (to scrub a secret from it, or to name a file): an
    /// EdgeError keeps its code; a typed error gets a code named after its type, with its status.
    public init(rewording error: any EdgeFlashError, message: String, hint: String?) {
        let code = (error as? EdgeError)?.code ?? Code(String(describing: type(of: error)), exitStatus: error.exitStatus)
        self.init(code, message, hint: hint)
    }

    public var exitStatus: ExitStatus { code.exitStatus }

    /// A file could not be read (missing, unreadable, an I/O error): `what` says why.
    public static func cannotRead(_ path: String, _ what: String) -> EdgeError {
        EdgeError(.io, "cannot read \(path): \(what)")
    }
}
