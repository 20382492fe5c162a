import ISOVerify

/// A write that followed a bmap, as the flash log records it: the byte ranges it wrote (the rest of
/// the stick kept what it held, bmaptool's "don't care") and their digest, so `check` can tell the
/// image from those ranges alone, the only bytes the stick is known to hold.
public struct MappedRanges: Codable, Sendable, Hashable {
    /// The bmap's file name.
    public var bmap: String
    /// [offset, length] in bytes, in order.
    public var ranges: [[Int64]]
    /// `RangesDigest`: the SHA-256 of the ranges' own SHA-256s.
    public var sha256: String

    public init(bmap: String, ranges: [Range<Int64>], sha256: String) {
        self.bmap = bmap
        self.ranges = ranges.map { [$0.lowerBound, Int64($0.count)] }
        self.sha256 = sha256
    }

    /// The ranges, when they are as a write records them (sorted, disjoint, not empty); nil for a
    /// line edited into something else.
    public var byteRanges: [Range<Int64>]? {
        var result: [Range<Int64>] = []
        for pair in ranges {
            guard pair.count == 2, pair[0] >= (result.last?.upperBound ?? 0), pair[1] > 0,
                  pair[0] <= Int64.max - pair[1] else { return nil }
            result.append(pair[0]..<(pair[0] + pair[1]))
        }
        return result
    }

    /// Beyond this many ranges a log line would grow past what a log should hold (~400 kB): such a
    /// write records no ranges, and `check` needs `--image`.
    public static let mostRanges = 16384
}

/// The digest of a mapped image: the SHA-256 of its ranges' SHA-256s, each as 64 lowercase hex
/// digits and a newline, in order (as `for each range: dd … | sha256sum | cut -c1-64`, all piped to
/// `sha256sum`). A bmap with sha256 range checksums states it outright; otherwise the bytes are
/// fed in order (`update`), the parts outside the ranges skipped.
public struct RangesDigest {
    public let ranges: [Range<Int64>]
    private var index = 0
    private var range = StreamingHash(.sha256)
    private var all = StreamingHash(.sha256)

    public init(ranges: [Range<Int64>]) {
        self.ranges = ranges
    }

    /// The digest from range checksums the bytes were checked against (a bmap's, of type sha256).
    public static func of(rangeSHA256s: [String]) -> String {
        var all = StreamingHash(.sha256)
        for digest in rangeSHA256s { all.update(Array((digest.lowercased() + "\n").utf8)) }
        return all.finalizeHex()
    }

    /// The image's bytes from `offset` on, in order, each byte once.
    public mutating func update(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
        let end = offset + Int64(bytes.count)
        while index < ranges.count, ranges[index].lowerBound < end {
            let current = ranges[index]
            let lower = max(current.lowerBound, offset), upper = min(current.upperBound, end)
            if lower < upper {
                range.update(UnsafeRawBufferPointer(rebasing: bytes[Int(lower - offset)..<Int(upper - offset)]))
            }
            guard current.upperBound <= end else { return }
            all.update(Array((range.finalizeHex() + "\n").utf8))
            range = StreamingHash(.sha256)
            index += 1
        }
    }

    /// Once every range was fed whole.
    public func finalizeHex() -> String { all.finalizeHex() }
}
