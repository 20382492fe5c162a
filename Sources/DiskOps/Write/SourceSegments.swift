import FileIO
import ISOVerify

/// The reader side of a write: reads each segment of the image in order, takes its XXH3 digest and
/// feeds the checksum's hash (SHA-256/512, or an implanted MD5) when one is expected. Used by the producer thread only.
final class SourceSegments: @unchecked Sendable {
    let image: any ImageSource
    let plan: WritePlan
    /// Only its ranges are written: a seekable image is read there only (unless the whole image
    /// is hashed), and the digests cover them only.
    let map: ImageMap?
    private let rangeChecks: RangeChecks?
    private(set) var digests: [ChunkDigest?]
    private var hasher: StreamingHash?
    /// Bytes read so far: where a stream of unknown length ended, once it did.
    private(set) var bytesRead: Int64 = 0

    init(image: any ImageSource, plan: WritePlan, hash: StreamingHash?, map: ImageMap? = nil, rangeChecks: RangeChecks? = nil) {
        self.image = image
        self.plan = plan
        self.map = map
        self.rangeChecks = rangeChecks
        digests = Array(repeating: nil, count: plan.segmentCount)
        hasher = hash
    }

    /// Reads segment `index`, the next one of the image, into `buffer` (count = the segment's length;
    /// for a stream, what is left of it: the segment where it ends is short, those after it empty).
    func read(_ index: Int, into buffer: AlignedBuffer) throws {
        let range = plan.segment(index)
        let length = Int(range.count)
        let got: Int
        if let map, hasher == nil, let seekable = image as? any SeekableImageSource {
            got = try readMapped(range, of: map, from: seekable, into: buffer)
        } else {
            got = try image.readNext(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: length))
        }
        guard got == length || plan.streamed else { throw ImageChangedError(imagePath: image.path, offset: range.lowerBound + Int64(got)) }
        bytesRead += Int64(got)
        buffer.count = got
        hasher?.update(buffer.bytes)
        try rangeChecks?.update(buffer.bytes, at: range.lowerBound)
        map?.zeroHoles(of: buffer, at: range.lowerBound)
        digests[index] = ChunkDigest(of: buffer.bytes)
    }

    /// Reads the mapped parts of `range` only (the rest is never read: a sparse file's holes, a
    /// bmap's unmapped blocks). Returns the segment's length once every part was read whole.
    private func readMapped(_ range: Range<Int64>, of map: ImageMap, from image: any SeekableImageSource,
                            into buffer: AlignedBuffer) throws -> Int {
        for part in map.mapped(in: range) {
            let start = Int(part.lowerBound - range.lowerBound)
            let got = try image.read(into: UnsafeMutableRawBufferPointer(start: buffer.pointer + start, count: Int(part.count)), at: part.lowerBound)
            guard got == part.count else { return start + got }
        }
        return Int(range.count)
    }

    /// For a stream that filled the plan: whether more of it follows (a byte is read to know).
    func continuesPastPlan() throws -> Bool {
        var byte: UInt8 = 0
        return try withUnsafeMutableBytes(of: &byte) { try image.readNext(into: $0) } > 0
    }

    /// The image's hash; call once, after every segment was read.
    func finalizeHash() -> String? { hasher?.finalizeHex() }
}
