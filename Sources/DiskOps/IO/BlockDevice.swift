import FileIO
import SystemPackage

/// A stick (or, for tests and `inject`, an image file) as a write target: the file layer's
/// `OpenFile`, opened by the caller and closed by it (`close()`), at a known point.
public struct BlockDevice: WriteTarget {
    public let file: OpenFile

    public var path: String { file.path }
    public var size: Int64 { file.size }
    public var logicalSectorSize: Int { file.logicalSectorSize }
    public var isBlockDevice: Bool { file.isBlockDevice }

    /// `direct` (O_DIRECT) for writes and read-backs that reach the device, not the page cache;
    /// `exclusive` (O_EXCL) so the kernel refuses a disk a mounted filesystem or another program holds.
    public init(path: String, access: OpenFile.Access, direct: Bool = true, exclusive: Bool = false) throws(DeviceIOError) {
        file = try OpenFile.open(path, access, direct: direct, exclusive: exclusive)
    }

    init(file: OpenFile) { self.file = file }

    public func close() { file.close() }

    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(DeviceIOError) {
        try file.write(bytes, at: offset)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(DeviceIOError) -> Int {
        try file.read(into: buffer, at: offset)
    }

    /// BLKZEROOUT where the device takes it, else zeros written.
    public func zero(_ range: Range<Int64>) throws(DeviceIOError) {
        if try !file.zeroOut(range) { try writeZeros(range) }
    }

    public func synchronize() throws(DeviceIOError) { try file.synchronize() }

    public func dropCaches() { file.dropCaches() }

    public func rereadPartitionTable() throws(Errno) { try file.rereadPartitionTable() }
}
