import EdgeCore
import ISOVerify

/// A bmap's per-range checksums, checked while the image is read: the mapped bytes of each range
/// are hashed in order, and a range whose hash differs stops the write before its end is reached,
/// so the stick is blanked. Used by the reader thread only.
final class RangeChecks: @unchecked Sendable {
    private let map: ImageMap
    private let checksums: [String]
    private let type: String
    private var index = 0
    private var hash: RangeHash

    /// nil when the map carries no checksums.
    init?(_ map: ImageMap) throws {
        guard let checksums = map.checksums, let type = map.checksumType else { return nil }
        self.map = map
        self.checksums = checksums
        self.type = type
        hash = try BlockMap.rangeHash(type: type, file: map.source)
    }

    /// Feeds the image's bytes `bytes`, which lie at `offset`; the parts outside the ranges are
    /// skipped. Throws when a range is complete and its hash differs from the bmap's.
    func update(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        for part in map.mapped(in: offset..<(offset + Int64(bytes.count))) {
            while index < map.ranges.count, map.ranges[index].upperBound <= part.lowerBound { index += 1 }
            hash.update(UnsafeRawBufferPointer(rebasing: bytes[Int(part.lowerBound - offset)..<Int(part.upperBound - offset)]))
            if part.upperBound == map.ranges[index].upperBound {
                let actual = hash.finalizeHex()
                guard actual == checksums[index] else {
                    throw EdgeError(.mismatch, "the image differs from \(map.source) in bytes \(map.ranges[index].lowerBound)-\(map.ranges[index].upperBound - 1): their \(type) is \(actual), the bmap says \(checksums[index])",
                                    hint: "the image or its bmap is damaged or they do not belong together: fetch them again, or pass --no-bmap")
                }
                hash = try BlockMap.rangeHash(type: type, file: map.source)
                index += 1
            }
        }
    }
}
