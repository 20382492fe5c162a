import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// pread/pwrite until the whole range is done (short transfers are continued), fdatasync and
/// fadvise. A failure becomes a DeviceIOError naming the byte offset.
extension OpenFile {
    /// Fills `buffer` from `offset`; returns how many bytes were read, fewer only at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(DeviceIOError) -> Int {
        var done = 0
        while done < buffer.count {
            let position = offset + Int64(done)
            let got: Int
            do {
                got = try valueOrErrno { pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(position)) }
            } catch {
                throw DeviceIOError(path: path, operation: .read, offset: position, errno: error)
            }
            if got == 0 { break }
            done += got
        }
        return done
    }

    /// Up to `count` bytes at `offset`, fewer only at the end: for bounded structures (a sector,
    /// a descriptor), never for a length taken from the image unchecked.
    public func read(offset: Int64, count: Int) throws -> [UInt8] {
        guard count > 0, offset >= 0, offset < size else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(min(Int64(count), size - offset)))
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        if got < bytes.count { bytes.removeSubrange(got...) }
        return bytes
    }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(DeviceIOError) {
        var done = 0
        while done < bytes.count {
            let position = offset + Int64(done)
            let written: Int
            do {
                written = try valueOrErrno { pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(position)) }
            } catch {
                throw DeviceIOError(path: path, operation: .write, offset: position, errno: error)
            }
            guard written > 0 else { throw DeviceIOError(path: path, operation: .write, offset: position, errno: .noSpace) }
            done += written
        }
    }

    /// fdatasync: returns once the device says the data is stored.
    public func synchronize() throws(DeviceIOError) {
        do {
            try valueOrErrno { fdatasync(descriptor) }
        } catch {
            throw DeviceIOError(path: path, operation: .sync, errno: error)
        }
    }

    /// Tells the kernel the file will be read front to back (a bigger read-ahead). Advice only:
    /// a failure changes nothing.
    public func adviseSequential() {
        _ = try? valueOrErrno { errorNumberAsErrno(posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)) }
    }

    /// Drops every cached page of the file or device (BLKFLSBUF and POSIX_FADV_DONTNEED), so a
    /// read-back cannot be served from memory even by a path that does not use O_DIRECT.
    public func dropCaches() {
        if isBlockDevice {
            _ = try? valueOrErrno { ioctl(descriptor, BlockIoctl.flushBuffers) }
        }
        _ = try? valueOrErrno { errorNumberAsErrno(posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)) }
    }

    /// BLKRRPART: asks the kernel to read the new partition table. Fails with EBUSY when a
    /// partition is in use and EINVAL when the disk cannot be partitioned (a plain loop device);
    /// does nothing on a regular file.
    public func rereadPartitionTable() throws(Errno) {
        guard isBlockDevice else { return }
        try valueOrErrno { ioctl(descriptor, BlockIoctl.rereadPartitions) }
    }
}

extension OpenFile {
    /// Makes a regular file `newSize` bytes long (sparse when it grows); returns it with its new size.
    public func resized(to newSize: Int64) throws(DeviceIOError) -> OpenFile {
        do {
            try valueOrErrno { ftruncate(descriptor, off_t(newSize)) }
            return try OpenFile(path: path, descriptor: descriptor)
        } catch {
            throw DeviceIOError(path: path, operation: .resize, errno: error)
        }
    }
}
