/// Bytes to put at an absolute offset of a disk or image: what serializing a partition table (and
/// building a user-data volume) produces, and what the injector writes.
public struct DiskWrite: Sendable, Equatable {
    public var offset: Int64
    public var bytes: [UInt8]
    public init(offset: Int64, bytes: [UInt8]) {
        self.offset = offset
        self.bytes = bytes
    }

    /// The bytes it covers (absolute offsets).
    public var range: Range<Int64> { offset..<(offset + Int64(bytes.count)) }

    /// The part of this write that falls inside `range` (absolute byte offsets), if any.
    public func clipped(to range: Range<Int64>) -> DiskWrite? {
        let lower = max(offset, range.lowerBound), upper = min(offset + Int64(bytes.count), range.upperBound)
        guard lower < upper else { return nil }
        return DiskWrite(offset: lower, bytes: Array(bytes[Int(lower - offset)..<Int(upper - offset)]))
    }

    /// The parts of this write outside `range`: none, one or two pieces.
    public func excluding(_ range: Range<Int64>) -> [DiskWrite] {
        let end = offset + Int64(bytes.count)
        return [offset < range.lowerBound ? clipped(to: offset..<range.lowerBound) : nil,
                range.upperBound < end ? clipped(to: range.upperBound..<end) : nil].compactMap { $0 }
    }
}
