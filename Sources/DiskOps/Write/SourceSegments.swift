import FileIO
import ISOVerify

/// The reader side of a write: reads each segment of the image in order, takes its XXH3 digest and
/// feeds the checksum's hash (SHA-256/512, or an implanted MD5) when one is expected. Used by the producer thread only.
final class SourceSegments: @unchecked Sendable {
    let image: any ImageSource
    let plan: WritePlan
    private(set) var digests: [ChunkDigest?]
    private var hasher: StreamingHash?

    init(image: any ImageSource, plan: WritePlan, hash: StreamingHash?) {
        self.image = image
        self.plan = plan
        digests = Array(repeating: nil, count: plan.segmentCount)
        hasher = hash
    }

    /// Reads segment `index`, the next one of the image, into `buffer` (count = the segment's length).
    func read(_ index: Int, into buffer: AlignedBuffer) throws {
        let range = plan.segment(index)
        let length = Int(range.count)
        let got = try image.readNext(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: length))
        guard got == length else { throw ImageChangedError(imagePath: image.path, offset: range.lowerBound + Int64(got)) }
        buffer.count = length
        digests[index] = ChunkDigest(of: buffer.bytes)
        hasher?.update(buffer.bytes)
    }

    /// The image's hash; call once, after every segment was read.
    func finalizeHash() -> String? { hasher?.finalizeHex() }
}
