import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// An open block device (or, for tests and images, a regular file), owned by this value: the
/// descriptor is closed on deinit. Writes and read-backs go through O_DIRECT so they reach the
/// device and the page cache never answers for it; O_EXCL makes the kernel refuse the open while a
/// filesystem is mounted from the disk or another program holds it exclusively.
public final class BlockDevice: @unchecked Sendable {
    public enum Access: Sendable { case readOnly, readWrite }

    public let path: String
    public let size: Int64
    /// O_DIRECT transfers must be aligned to this (512 or 4096).
    public let logicalSectorSize: Int
    public let isBlockDevice: Bool
    let descriptor: FileDescriptor

    public init(path: String, access: Access, direct: Bool = true, exclusive: Bool = false) throws(DeviceIOError) {
        var raw: CInt = access == .readOnly ? O_RDONLY : O_RDWR
        raw |= O_CLOEXEC
        if direct { raw |= DirectIOFlag.rawValue }
        if exclusive { raw |= O_EXCL }
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), FileDescriptor.AccessMode(rawValue: raw & O_ACCMODE),
                                         options: FileDescriptor.OpenOptions(rawValue: raw & ~O_ACCMODE))
        } catch let error as Errno {
            throw DeviceIOError(path: path, operation: .open, errno: error)
        } catch {
            throw DeviceIOError(path: path, operation: .open, errno: .ioError)
        }
        self.path = path
        self.descriptor = fd
        var info = stat()
        guard fstat(fd.rawValue, &info) == 0 else {
            let code = Errno(rawValue: errno)
            try? fd.close()
            throw DeviceIOError(path: path, operation: .query, errno: code)
        }
        isBlockDevice = (info.st_mode & S_IFMT) == S_IFBLK
        if isBlockDevice {
            var bytes: UInt64 = 0
            var sector: CInt = 0
            do {
                try retryingInterrupts { ioctl(fd.rawValue, BlockIoctl.getSize64, &bytes) }
                try retryingInterrupts { ioctl(fd.rawValue, BlockIoctl.getLogicalSectorSize, &sector) }
            } catch {
                try? fd.close()
                throw DeviceIOError(path: path, operation: .query, errno: error)
            }
            size = Int64(bytes)
            logicalSectorSize = Int(sector)
        } else {
            size = Int64(info.st_size)
            logicalSectorSize = 512
        }
    }

    deinit { try? descriptor.close() }

    /// Writes all of `bytes` at `offset`; an error names the offset.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(DeviceIOError) {
        try descriptor.writeFully(bytes, at: offset, path: path)
    }

    /// Reads up to `buffer.count` bytes at `offset`, short only at the end of the device.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(DeviceIOError) -> Int {
        try descriptor.readFully(into: buffer, at: offset, path: path)
    }

    /// fdatasync: returns once the device says the data is stored.
    public func synchronize() throws(DeviceIOError) {
        do {
            try retryingInterrupts { fdatasync(descriptor.rawValue) }
        } catch {
            throw DeviceIOError(path: path, operation: .sync, errno: error)
        }
    }

    /// BLKRRPART: asks the kernel to read the new partition table. Fails with EBUSY when a
    /// partition is in use and EINVAL when the disk cannot be partitioned (a plain loop device).
    public func rereadPartitionTable() throws(Errno) {
        guard isBlockDevice else { return }
        try retryingInterrupts { ioctl(descriptor.rawValue, BlockIoctl.rereadPartitions) }
    }

    /// Drops every cached page of the device (BLKFLSBUF and POSIX_FADV_DONTNEED), so a read-back
    /// cannot be served from memory even by a path that does not use O_DIRECT.
    public func dropCaches() {
        if isBlockDevice {
            _ = try? retryingInterrupts { ioctl(descriptor.rawValue, BlockIoctl.flushBuffers) }
        }
        _ = try? retryingInterruptsOfErrorNumber({ posix_fadvise(descriptor.rawValue, 0, 0, POSIX_FADV_DONTNEED) })
    }
}
