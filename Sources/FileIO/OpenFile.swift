import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// An open file or block device: the one file type of edgeflash (ISOVerify reads images with it,
/// DiskOps writes sticks with it). A plain value, like swift-system's `FileDescriptor`: nothing is
/// closed on deinit; the owner closes it at a known point, `close()` or `closeAfter`, so a descriptor
/// never outlives its use because some thread still holds a reference (an exclusive one would make
/// the next open of the stick fail with EBUSY).
public struct OpenFile: Sendable {
    public enum Access: Sendable { case readOnly, readWrite }
    public enum Kind: Sendable { case regularFile, blockDevice, directory, other }

    public let path: String
    public let descriptor: CInt
    public let kind: Kind
    /// Bytes: the file's length, or the device's (BLKGETSIZE64; a block device's st_size is 0).
    public let size: Int64
    /// O_DIRECT transfers start and end on multiples of this: 512 or 4096 on a device, 512 for a file.
    public let logicalSectorSize: Int

    public var isBlockDevice: Bool { kind == .blockDevice }

    /// `direct`: O_DIRECT, so writes and reads reach the device and the page cache never answers for
    /// it. `exclusive`: O_EXCL, so the kernel refuses a block device that a mounted filesystem or
    /// another program holds.
    public static func open(_ path: String, _ access: Access = .readOnly, direct: Bool = false,
                            exclusive: Bool = false) throws(DeviceIOError) -> OpenFile {
        var flags: CInt = (access == .readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC
        if direct { flags |= DirectIOFlag.rawValue }
        if exclusive { flags |= O_EXCL }
        let descriptor: CInt
        do {
            descriptor = try valueOrErrno { Glibc.open(path, flags) }
        } catch {
            throw DeviceIOError(path: path, operation: .open, errno: error)
        }
        do {
            return try OpenFile(path: path, descriptor: descriptor)
        } catch {
            _ = Glibc.close(descriptor)
            throw DeviceIOError(path: path, operation: .query, errno: error)
        }
    }

    init(path: String, descriptor: CInt) throws(Errno) {
        self.path = path
        self.descriptor = descriptor
        var info = stat()
        try valueOrErrno { fstat(descriptor, &info) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regularFile
        case S_IFBLK: kind = .blockDevice
        case S_IFDIR: kind = .directory
        default: kind = .other
        }
        if kind == .blockDevice {
            var bytes: UInt64 = 0
            var sector: CInt = 0
            try valueOrErrno { ioctl(descriptor, BlockIoctl.getSize64, &bytes) }
            try valueOrErrno { ioctl(descriptor, BlockIoctl.getLogicalSectorSize, &sector) }
            size = Int64(bytes)
            logicalSectorSize = Int(sector)
        } else {
            size = Int64(info.st_size)
            logicalSectorSize = 512
        }
    }

    /// The disk this descriptor holds, as the kernel numbers each disk it brings up (the sysfs
    /// `diskseq`): another stick at the same name is another number. nil for a file, or a kernel
    /// older than 5.15.
    public var diskSequence: UInt64? {
        guard kind == .blockDevice else { return nil }
        var sequence: UInt64 = 0
        return ioctl(descriptor, BlockIoctl.getDiskSequence, &sequence) == 0 ? sequence : nil
    }

    /// Closes the descriptor. Not retried on EINTR: on Linux the descriptor is gone either way.
    /// A written target is synchronized first, so a close error has nothing left to report.
    public func close() {
        _ = Glibc.close(descriptor)
    }

    /// Runs `body`, then closes, whether `body` returned or threw.
    public func closeAfter<Result>(_ body: (OpenFile) throws -> Result) rethrows -> Result {
        defer { close() }
        return try body(self)
    }
}
