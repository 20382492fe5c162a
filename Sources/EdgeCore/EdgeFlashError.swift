/// An error a user sees: what happened, to what, and what to do next, in one or two lines.
///
/// Every module's error types conform, so the CLI prints them the same way and maps each to a
/// documented exit code without knowing the module it came from.
public protocol EdgeFlashError: Error, CustomStringConvertible {
    /// One line: what happened, naming the file or device.
    var message: String { get }
    /// What to do next, or the flag that overrides a refusal. nil when there is nothing to add.
    var hint: String? { get }
    var exitStatus: ExitStatus { get }
}

extension EdgeFlashError {
    public var hint: String? { nil }
    public var description: String {
        if let hint { return "\(message)\n\(hint)" }
        return message
    }
}

/// A plain error for the cases that need no type of their own.
public struct SimpleError: EdgeFlashError, Equatable {
    public let message: String
    public let hint: String?
    public let exitStatus: ExitStatus

    public init(_ message: String, hint: String? = nil, exitStatus: ExitStatus = .failure) {
        self.message = message
        self.hint = hint
        self.exitStatus = exitStatus
    }
}
