#if canImport(Glibc)
import Glibc
#endif

/// The stat(2) facts the inventory and the policy need about a path.
public struct FileStatus: Sendable, Equatable {
    public enum Kind: String, Sendable { case blockDevice, characterDevice, regularFile, directory, fifo, socket, other }
    public var kind: Kind
    /// The device a file lives on (st_dev).
    public var residesOn: DeviceNumber
    /// For a device node: the device it is (st_rdev).
    public var rawDevice: DeviceNumber?
    /// st_ino: with `residesOn`, which file this is whatever path reached it.
    public var inode: UInt64

    public init(kind: Kind, residesOn: DeviceNumber, rawDevice: DeviceNumber? = nil, inode: UInt64 = 0) {
        self.kind = kind
        self.residesOn = residesOn
        self.rawDevice = rawDevice
        self.inode = inode
    }

    public var identity: FileIdentity { FileIdentity(device: residesOn, inode: inode) }

    /// What the path is, for messages: "a regular file", "a pipe (FIFO)"...
    public var kindName: String {
        switch kind {
        case .blockDevice: "a block device"
        case .characterDevice: "a character device"
        case .regularFile: "a regular file"
        case .directory: "a directory"
        case .fifo: "a pipe (FIFO)"
        case .socket: "a socket"
        case .other: "a special file"
        }
    }

    /// A block device stands for itself; anything else for the device it is stored on.
    public var containingDevice: DeviceNumber { kind == .blockDevice ? (rawDevice ?? residesOn) : residesOn }

    /// stat(2), following symlinks (so /dev/disk/by-id names work); nil when the path is missing.
    public static func of(_ path: String) -> FileStatus? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let kind: Kind
        switch st.st_mode & S_IFMT {
        case S_IFBLK: kind = .blockDevice
        case S_IFCHR: kind = .characterDevice
        case S_IFREG: kind = .regularFile
        case S_IFDIR: kind = .directory
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        default: kind = .other
        }
        let isDevice = kind == .blockDevice || kind == .characterDevice
        return FileStatus(kind: kind, residesOn: DeviceNumber(rawDevice: UInt64(st.st_dev)),
                          rawDevice: isDevice ? DeviceNumber(rawDevice: UInt64(st.st_rdev)) : nil,
                          inode: UInt64(st.st_ino))
    }
}
