import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

extension OpenFile {
    /// LOOP_GET_STATUS64 from <linux/loop.h> (0x4C05): fills a `struct loop_info64`.
    static let loopGetStatus64: UInt = 0x4C05
    /// sizeof(struct loop_info64): five u64, four u32, three name/key arrays (64+64+32), two u64.
    static let loopInfo64Size = 232

    /// The device (a dev_t, as st_dev encodes it) and inode of the file behind this loop device,
    /// as the kernel recorded them when it was attached. Unlike sysfs' backing_file path, they
    /// still name the file once it is deleted (" (deleted)") or renamed.
    public func loopBackingFile() throws(Errno) -> (device: UInt64, inode: UInt64) {
        let info = UnsafeMutableRawPointer.allocate(byteCount: Self.loopInfo64Size, alignment: 8)
        defer { info.deallocate() }
        info.initializeMemory(as: UInt8.self, repeating: 0, count: Self.loopInfo64Size)
        try valueOrErrno { ioctl(descriptor, Self.loopGetStatus64, info) }
        // lo_device and lo_inode are the first two fields, in the machine's byte order.
        return (info.load(fromByteOffset: 0, as: UInt64.self), info.load(fromByteOffset: 8, as: UInt64.self))
    }
}
