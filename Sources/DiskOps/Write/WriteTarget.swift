import FileIO
import SystemPackage

/// Where the bytes of a write go, and where the read-back reads them from: a block device, an image
/// file, or (in tests) memory that records every call. Called from several I/O threads at once.
public protocol WriteTarget: Sendable {
    /// Names the target in messages.
    var path: String { get }
    /// Bytes the target says it holds (a counterfeit stick says more than it keeps).
    var size: Int64 { get }
    /// Writes and reads start and end on multiples of this (O_DIRECT on a block device).
    var logicalSectorSize: Int { get }
    /// Writes all of `bytes` at `offset`; a failure names the offset.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(DeviceIOError)
    /// Fills `buffer` from `offset`; returns how many bytes were read, fewer only at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(DeviceIOError) -> Int
    /// Zeroes `range` (sector-aligned): a sparse image's holes.
    func zero(_ range: Range<Int64>) throws(DeviceIOError)
    /// Returns once the medium holds everything written so far (fdatasync).
    func synchronize() throws(DeviceIOError)
    /// Forgets cached copies, so the next reads come from the medium.
    func dropCaches()
    /// Tells the system the partition table changed: EINVAL where the target holds none, EBUSY
    /// where a partition is in use.
    func rereadPartitionTable() throws(Errno)
}

extension WriteTarget {
    public func zero(_ range: Range<Int64>) throws(DeviceIOError) { try writeZeros(range) }

    /// Zeroes `range` by writing zeros, 1 MiB at a time.
    func writeZeros(_ range: Range<Int64>) throws(DeviceIOError) {
        let zeros = AlignedBuffer(capacity: 1 << 20)
        zeros.zeroAll()
        var offset = range.lowerBound
        while offset < range.upperBound {
            let length = Int(min(Int64(zeros.capacity), range.upperBound - offset))
            try write(zeros.bytes(upTo: length), at: offset)
            offset += Int64(length)
        }
    }
}
