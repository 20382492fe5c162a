/// An error a user sees: what happened, to what, and what to do next, in one or two lines.
///
/// `EdgeError` is the one error of every module; the few typed errors that carry data a caller
/// reads (a device offset, a refusal's reason, a checksum pair) conform too, so the CLI prints
/// them all the same way and maps each to a documented exit code without knowing its module.
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
