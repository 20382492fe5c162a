import EdgeCore
import SystemPackage

/// A system call on a device or image failed: what was done, to what, at which byte offset.
public struct DeviceIOError: EdgeFlashError, Equatable {
    public enum Operation: String, Sendable {
        case open, read, write, sync, query = "query the size of", flush, resize
    }

    public let path: String
    public let operation: Operation
    public let offset: Int64?
    public let errno: Errno

    public init(path: String, operation: Operation, offset: Int64? = nil, errno: Errno) {
        self.path = path
        self.operation = operation
        self.offset = offset
        self.errno = errno
    }

    public var message: String {
        var text = "could not \(operation.rawValue) \(path)"
        if let offset { text += " at byte offset \(offset) (\(ByteCount.human(offset)))" }
        return text + ": \(errno.description)"
    }

    public var hint: String? {
        switch errno {
        case .resourceBusy:
            return "Another program or a mounted filesystem holds \(path): unmount it (--unmount) or close that program."
        case .permissionDenied, .notPermitted:
            return "Run as root, or as a member of the group the udev rule grants write access to."
        case .readOnlyFileSystem:
            return "\(path) is read-only: check the stick's write-protect switch."
        case .ioError, .noSpace:
            return operation == .write || operation == .sync
                ? "The device failed while writing: it is incomplete. Try another port or stick."
                : nil
        default:
            return nil
        }
    }

    public var exitStatus: ExitStatus {
        errno == .resourceBusy && operation == .open ? .refused : .ioError
    }
}

extension DeviceIOError: OffsetFailure {
    public var failureOffset: Int64? { offset }
}
