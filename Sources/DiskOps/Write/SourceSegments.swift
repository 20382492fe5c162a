import FileIO
import ISOVerify

/// The reader side of a write: reads (or decodes) each segment of the image in order on the reader
/// thread, and feeds the checksum's hash (SHA-256/512, or an implanted MD5) when one is expected, a
/// compressed image's own hashes (`CompressedImage.hash`) and a bmap's range checks on the in-order
/// thread that follows it, so decoding and hashing run side by side. The segments' XXH3 digests for the read-back are `SegmentDigests`'.
final class SourceSegments: @unchecked Sendable {
    let image: any ImageSource
    let plan: WritePlan
    /// Only its ranges are written: a seekable image is read there only (unless the whole image
    /// is hashed).
    let map: ImageMap?
    private let rangeChecks: RangeChecks?
    private var hasher: StreamingHash?
    /// The whole image is hashed (set once: the reader asks it while the in-order thread hashes).
    private let hashesWholeImage: Bool
    /// A compressed image: decoded on the reader thread, its hashes taken on the in-order one.
    private let decoded: CompressedImage?
    /// Bytes read so far: where a stream of unknown length ended, once it did.
    private(set) var bytesRead: Int64 = 0

    init(image: any ImageSource, plan: WritePlan, hash: StreamingHash?, map: ImageMap? = nil, rangeChecks: RangeChecks? = nil) {
        self.image = image
        self.plan = plan
        self.map = map
        self.rangeChecks = rangeChecks
        hasher = hash
        hashesWholeImage = hash != nil
        decoded = image as? CompressedImage
    }

    /// Reads segment `index`, the next one of the image, into `buffer` (count = the segment's length;
    /// for a stream, what is left of it: the segment where it ends is short, those after it empty).
    func read(_ index: Int, into buffer: AlignedBuffer) throws {
        let range = plan.segment(index)
        let length = Int(range.count)
        let got: Int
        if let map, !hashesWholeImage, let seekable = image as? any SeekableImageSource {
            got = try readMapped(range, of: map, from: seekable, into: buffer)
        } else if let decoded {
            got = try decoded.decodeNext(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: length))
        } else {
            got = try image.readNext(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: length))
        }
        guard got == length || plan.streamed else { throw ImageChangedError(imagePath: image.path, offset: range.lowerBound + Int64(got)) }
        bytesRead += Int64(got)
        buffer.count = got
    }

    /// Whether segments need `check` (a hash or range checks): the write then runs it in order.
    var checksInOrder: Bool { hashesWholeImage || rangeChecks != nil || decoded != nil }

    /// Feeds segment `index`, just read, to the checksum's hash, a decoded image's own hashes and
    /// the bmap's range checks; throws when a range differs from its bmap checksum (the segment is
    /// then never written).
    func check(_ index: Int, _ buffer: AlignedBuffer) throws {
        decoded?.hash(buffer.bytes, asked: Int(plan.segment(index).count))
        hasher?.update(buffer.bytes)
        try rangeChecks?.update(buffer.bytes, at: plan.segment(index).lowerBound)
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
