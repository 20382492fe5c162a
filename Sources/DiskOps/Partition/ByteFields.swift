/// Little-endian fields in on-disk structures (MBR, GPT, FAT), read and written in place.
extension Array where Element == UInt8 {
    func le16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func le32(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(self[at + $1]) << (8 * $1) } }
    func le64(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(self[at + $1]) << (8 * $1) } }

    mutating func setLE16(_ at: Int, _ value: UInt16) { for i in 0..<2 { self[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) } }
    mutating func setLE32(_ at: Int, _ value: UInt32) { for i in 0..<4 { self[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) } }
    mutating func setLE64(_ at: Int, _ value: UInt64) { for i in 0..<8 { self[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) } }
    mutating func setBytes(_ at: Int, _ bytes: some Collection<UInt8>) { replaceSubrange(at..<(at + bytes.count), with: bytes) }
}

/// One write the injector performs: bytes at an absolute offset of the target.
public struct DiskWrite: Sendable, Equatable {
    public var offset: Int64
    public var bytes: [UInt8]
    public init(offset: Int64, bytes: [UInt8]) {
        self.offset = offset
        self.bytes = bytes
    }
}

extension DiskWrite {
    /// The part of this write that falls inside `range` (absolute byte offsets), if any.
    func clipped(to range: Range<Int64>) -> DiskWrite? {
        let lower = max(offset, range.lowerBound), upper = min(offset + Int64(bytes.count), range.upperBound)
        guard lower < upper else { return nil }
        return DiskWrite(offset: lower, bytes: Array(bytes[Int(lower - offset)..<Int(upper - offset)]))
    }

    /// The parts of this write outside `range`: none, one or two pieces.
    func excluding(_ range: Range<Int64>) -> [DiskWrite] {
        let end = offset + Int64(bytes.count)
        return [offset < range.lowerBound ? clipped(to: offset..<range.lowerBound) : nil,
                range.upperBound < end ? clipped(to: range.upperBound..<end) : nil].compactMap { $0 }
    }
}
