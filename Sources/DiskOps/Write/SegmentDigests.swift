import FileIO
import Synchronization

/// The XXH3 digest of every segment a write sent, for its read-back, over the mapped bytes only.
/// Taken by the reader thread as it reads, or, when it decodes a compressed image (the write's
/// slowest stage then), by the I/O threads once each segment's write returned: thread-safe.
final class SegmentDigests: Sendable {
    let plan: WritePlan
    /// Only its ranges are digested (they are the only ones written and read back).
    let map: ImageMap?
    private let table: Mutex<[ChunkDigest?]>

    init(plan: WritePlan, map: ImageMap?) {
        self.plan = plan
        self.map = map
        table = Mutex(Array(repeating: nil, count: plan.segmentCount))
    }

    /// Digests `buffer`, segment `index` of the image.
    func record(_ index: Int, _ buffer: AlignedBuffer) {
        let digest = ChunkDigest(of: buffer.bytes, at: plan.segment(index).lowerBound, mappedBy: map)
        table.withLock { $0[index] = digest }
    }

    /// Whether `buffer`, segment `index` as read back from the target, matches what was written.
    func matches(_ index: Int, _ buffer: AlignedBuffer) -> Bool {
        let expected = table.withLock { $0[index] }
        return ChunkDigest(of: buffer.bytes, at: plan.segment(index).lowerBound, mappedBy: map) == expected
    }
}
