/// An image the flash log has written, as `check` can find it on a stick: its length and the
/// SHA-256 of its bytes, or, for a write that followed a bmap, of its mapped ranges only
/// (`RangesDigest`), the rest of the stick being what it held before.
public struct KnownImage: Hashable, Sendable {
    public var size: Int64
    public var sha256: String
    /// The ranges `sha256` covers; nil for the whole image.
    public var ranges: [Range<Int64>]?
    /// The bmap that mapped them, by file name (not part of what the image is).
    public var bmap: String?

    public init(size: Int64, sha256: String, ranges: [Range<Int64>]? = nil, bmap: String? = nil) {
        self.size = size
        self.sha256 = sha256
        self.ranges = ranges
        self.bmap = bmap
    }

    /// The image `record` wrote, as the stick holds it; nil when the record names none.
    public init?(_ record: FlashRecord) {
        guard let size = record.imageSize else { return nil }
        if let mapped = record.mapped {
            guard let ranges = mapped.byteRanges, (ranges.last?.upperBound ?? 0) <= size else { return nil }
            self.init(size: size, sha256: mapped.sha256, ranges: ranges, bmap: mapped.bmap)
        } else if let sha256 = record.imageSHA256 {
            self.init(size: size, sha256: sha256)
        } else {
            return nil
        }
    }
}

extension KnownImage {
    public static func == (a: KnownImage, b: KnownImage) -> Bool {
        a.size == b.size && a.sha256 == b.sha256 && a.ranges == b.ranges
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(size)
        hasher.combine(sha256)
        hasher.combine(ranges)
    }

    /// Did `record` write this image? Its whole SHA-256 names it too (`check --image` knows it).
    public func isWritten(by record: FlashRecord) -> Bool {
        KnownImage(record) == self || (record.imageSize == size && record.imageSHA256 == sha256)
    }
}
