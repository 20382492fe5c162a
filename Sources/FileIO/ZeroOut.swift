import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

extension OpenFile {
    /// Zeroes `range` of a block device with BLKZEROOUT: the device (WRITE ZEROES, a loop device's
    /// backing file) or the kernel writes the zeros, with no buffer of ours. Returns false where
    /// that is not possible (not a block device, or the request is refused): write zeros instead.
    /// `range` starts and ends on logical sectors.
    public func zeroOut(_ range: Range<Int64>) throws(DeviceIOError) -> Bool {
        guard isBlockDevice, !range.isEmpty else { return false }
        var span: (UInt64, UInt64) = (UInt64(range.lowerBound), UInt64(range.count))
        do {
            try valueOrErrno { ioctl(descriptor, BlockIoctl.zeroOut, &span) }
            return true
        } catch Errno.notSupported, Errno.invalidArgument, Errno.inappropriateIOCTLForDevice, Errno.badFileDescriptor {
            return false
        } catch {
            throw DeviceIOError(path: path, operation: .write, offset: range.lowerBound, errno: error)
        }
    }
}
