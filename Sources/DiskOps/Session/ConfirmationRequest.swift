import EdgeCore
import Foundation

/// What a session asks before it changes a disk: the facts the question shows (the disk's model,
/// size and serial, its partitions, what will be erased or added), and the one rule every command
/// that erases follows for the answer: the word "yes", nothing shorter.
public struct ConfirmationRequest: Sendable {
    public enum Change: Sendable {
        /// Everything on the disk is erased and the image written to it.
        case eraseAndWrite(imagePath: String, imageBytes: Int64)
        /// The user-data volume is added after the written image, or replaces the one there; the
        /// image itself stays as it is.
        case addVolume(InjectionPlan)
    }

    public let disk: Disk
    public let change: Change
    /// The path the user gave, when it is another name for the disk (a /dev/disk/by-id or by-path
    /// link): shown beside the disk's own name, so what the link resolves to is what is confirmed.
    public let givenPath: String?

    /// The question's last line.
    public static let instruction = "Type yes to continue: "

    public init(disk: Disk, change: Change, givenPath: String? = nil) {
        self.disk = disk
        self.change = change
        self.givenPath = givenPath == disk.path ? nil : givenPath
    }

    /// "/dev/disk/by-id/usb-X → /dev/sdb", or the disk's path when it was given as such.
    public var diskName: String { givenPath.map { "\($0) → \(disk.path)" } ?? disk.path }

    /// Returns when `answer` is "yes" (any case, spaces around it ignored); throws `.notConfirmed`
    /// otherwise. nil is no answer at all (end of input).
    public func check(_ answer: String?) throws {
        try Self.check(answer, devices: [disk.path])
    }

    /// Without `--yes`, a session is never run unless someone answered.
    public var noTerminal: EdgeError { Self.noTerminal(devices: [disk.path]) }

    /// Said when Ctrl-C ends the question: nothing has been changed yet.
    public var interruptedMessage: String { Self.interruptedMessage(devices: [disk.path]) }

    static func check(_ answer: String?, devices: [String]) throws {
        func declined(_ why: String) -> EdgeError { EdgeError(.notConfirmed, "\(nothingWritten(devices)): \(why)") }
        guard let answer else { throw declined("no answer") }
        guard answer.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else { throw declined("not confirmed") }
    }

    static func noTerminal(devices: [String]) -> EdgeError {
        EdgeError(.notConfirmed, "\(nothingWritten(devices)): no terminal to confirm on",
                  hint: "Pass --yes to write without asking (for scripts).")
    }

    static func interruptedMessage(devices: [String]) -> String { "\(nothingWritten(devices)): interrupted" }

    private static func nothingWritten(_ devices: [String]) -> String { "nothing written to \(devices.joined(separator: ", "))" }
}

/// One question for several disks (a write to several sticks): each disk's facts, and one "yes"
/// covers them all, under the same rule as one disk's.
public struct BatchConfirmation: Sendable {
    public let requests: [ConfirmationRequest]

    public init(_ requests: [ConfirmationRequest]) {
        self.requests = requests
    }

    private var devices: [String] { requests.map(\.disk.path) }

    public func check(_ answer: String?) throws { try ConfirmationRequest.check(answer, devices: devices) }
    public var noTerminal: EdgeError { ConfirmationRequest.noTerminal(devices: devices) }
    public var interruptedMessage: String { ConfirmationRequest.interruptedMessage(devices: devices) }
}
