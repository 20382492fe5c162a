import FileIO
import Synchronization

/// The XXH3 digest of every segment a write sent, for its read-back, over the mapped bytes only.
/// Taken by the reader thread as it reads, or, when it decodes a compressed image (the write's
/// slowest stage then), by the I/O threads once each segment's write returned: thread-safe.
///
/// With `sampled`, also the digest of a 4 KiB window in every MiB (`samples(of:)`), for the sweep
/// that follows a read-back overlapped with the writes (`TrailingReadBack`).
final class SegmentDigests: Sendable {
    let plan: WritePlan
    /// Only its ranges are digested (they are the only ones written and read back).
    let map: ImageMap?
    let sampled: Bool
    private let table: Mutex<[(whole: ChunkDigest, samples: [ChunkDigest])?]>

    static let sampleSize: Int64 = 4096

    init(plan: WritePlan, map: ImageMap?, sampled: Bool = false) {
        self.plan = plan
        self.map = map
        self.sampled = sampled
        table = Mutex(Array(repeating: nil, count: plan.segmentCount))
    }

    /// Digests `buffer`, segment `index` of the image.
    func record(_ index: Int, _ buffer: AlignedBuffer) {
        let range = plan.segment(index)
        let whole = ChunkDigest(of: buffer.bytes, at: range.lowerBound, mappedBy: map)
        let samples = sampled ? samples(of: index).map { digest(of: $0, in: buffer, from: range.lowerBound) } : []
        table.withLock { $0[index] = (whole, samples) }
    }

    /// Whether `buffer`, segment `index` as read back from the target, matches what was written.
    func matches(_ index: Int, _ buffer: AlignedBuffer) -> Bool {
        let expected = table.withLock { $0[index]?.whole }
        return ChunkDigest(of: buffer.bytes, at: plan.segment(index).lowerBound, mappedBy: map) == expected
    }

    /// The windows of segment `index` the sweep reads again: 4 KiB of each MiB, at an offset that
    /// changes from one MiB to the next (so a stick that keeps a few blocks right cannot pass by
    /// chance), sector-aligned, cut where the image ends.
    func samples(of index: Int) -> [Range<Int64>] {
        let range = plan.segment(index), mib: Int64 = 1 << 20
        return stride(from: range.lowerBound / mib * mib, to: range.upperBound, by: Int(mib)).compactMap { start in
            let slot = Int64((UInt64(start / mib) &* 0x9E37_79B9_7F4A_7C15) >> 56)  // 0..<256: which 4 KiB of the MiB
            let window = max(range.lowerBound, start + slot * Self.sampleSize)
            return window < range.upperBound ? window..<min(window + Self.sampleSize, range.upperBound) : nil
        }
    }

    /// Whether `buffer`, sample `number` of segment `index` as read back, matches what was written.
    func sampleMatches(_ index: Int, _ number: Int, _ window: Range<Int64>, _ buffer: AlignedBuffer) -> Bool {
        let expected = table.withLock { $0[index]?.samples[number] }
        return digest(of: window, in: buffer, from: window.lowerBound) == expected
    }

    private func digest(of window: Range<Int64>, in buffer: AlignedBuffer, from start: Int64) -> ChunkDigest {
        let bytes = UnsafeRawBufferPointer(start: buffer.pointer + Int(window.lowerBound - start), count: Int(window.count))
        return ChunkDigest(of: bytes, at: window.lowerBound, mappedBy: map)
    }
}
