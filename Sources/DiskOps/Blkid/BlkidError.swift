import EdgeCore
import SystemPackage

/// A libblkid call or the open(2) before it failed; carries the errno when the library set one.
public struct BlkidError: EdgeFlashError, Equatable {
    public enum Operation: String, Sendable {
        case open = "open"
        case newProbe = "create a libblkid probe for"
        case setDevice = "attach libblkid to"
        case probe = "probe"
    }

    public let operation: Operation
    public let path: String
    public let errno: Errno?

    public init(_ operation: Operation, path: String, errno: Errno?) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var message: String {
        let cause = errno.map { ": \($0.description)" } ?? ""
        return "could not \(operation.rawValue) \(path)\(cause)"
    }

    public var hint: String? {
        errno == .permissionDenied ? "reading block devices needs root or the edgeflash udev group" : nil
    }

    public var exitStatus: ExitStatus { .ioError }
}
