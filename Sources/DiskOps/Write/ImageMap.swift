import EdgeCore
import ISOVerify

/// The parts of an image that hold data, when something says so: a bmap's ranges, or the data
/// extents of a sparse file. Only they are written and read back; between them the target is
/// zeroed (a sparse file's holes, so no stale data survives where the image has zeros) or left as
/// it is (a bmap's unmapped blocks, as bmaptool leaves them).
public struct ImageMap: Sendable, Equatable {
    /// Sorted, disjoint, each starting on a multiple of 512 bytes.
    public var ranges: [Range<Int64>]
    /// Zero the target between the ranges (BLKZEROOUT, or writing zeros).
    public var zeroHoles: Bool
    /// The bmap's checksum per range (same order as `ranges`), and its type.
    public var checksums: [String]?
    public var checksumType: String?
    /// Names the map in messages: "disk.img.bmap", "the sparse file's extents".
    public var source: String
    /// The size of the image a bmap was made for (its ImageSize); nil for a sparse file's extents,
    /// which are the file's own.
    public var imageSize: Int64?

    public init(ranges: [Range<Int64>], zeroHoles: Bool, checksums: [String]? = nil, checksumType: String? = nil, source: String) {
        self.ranges = ranges
        self.zeroHoles = zeroHoles
        self.checksums = checksums
        self.checksumType = checksumType
        self.source = source
    }

    /// The ranges a bmap maps, with its checksums.
    public init(_ bmap: BlockMap, source: String) {
        ranges = bmap.ranges.map(bmap.byteRange)
        zeroHoles = false
        checksums = bmap.checksumType == nil ? nil : bmap.ranges.map { $0.checksum ?? "" }
        checksumType = bmap.checksumType
        self.source = source
        imageSize = bmap.imageSize
    }

    /// A bmap made for an image of another size maps the wrong blocks: refused. Checked before
    /// writing when the image states its size, and where the stream ends when it does not (a gzip
    /// image, a zstd made from a pipe), before the first MiB is written.
    public func refuseUnlessMade(forImageOf size: Int64, imagePath: String) throws {
        guard let imageSize, imageSize != size else { return }
        throw EdgeError(.mismatch, "\(source) maps an image of \(imageSize) bytes, but \(imagePath) is \(size) bytes",
                        hint: "Give the image's own bmap with --bmap, or write every byte with --no-bmap.")
    }

    /// Bytes the ranges hold.
    public var mappedBytes: Int64 { ranges.reduce(0) { $0 + Int64($1.count) } }

    /// The parts of `span` inside the ranges, in order.
    public func mapped(in span: Range<Int64>) -> [Range<Int64>] {
        var low = 0, high = ranges.count
        while low < high {  // the first range that ends after span starts
            let middle = (low + high) / 2
            if ranges[middle].upperBound <= span.lowerBound { low = middle + 1 } else { high = middle }
        }
        var parts: [Range<Int64>] = []
        var index = low
        while index < ranges.count, ranges[index].lowerBound < span.upperBound {
            parts.append(max(ranges[index].lowerBound, span.lowerBound)..<min(ranges[index].upperBound, span.upperBound))
            index += 1
        }
        return parts
    }

    /// The parts of `span` between the ranges, in order.
    public func holes(in span: Range<Int64>) -> [Range<Int64>] {
        var holes: [Range<Int64>] = []
        var at = span.lowerBound
        for part in mapped(in: span) {
            if part.lowerBound > at { holes.append(at..<part.lowerBound) }
            at = part.upperBound
        }
        if at < span.upperBound { holes.append(at..<span.upperBound) }
        return holes
    }
}
