import Foundation
import EdgeCore

/// A bmaptool block map: which blocks of an image hold data (the others need not be written), and
/// a checksum per range of them. Formats 1.0-1.3 (SHA-1 ranges in 1.3) and 1.4/2.0 (the
/// checksum type named in the file, which must name it). The file's own checksum (`BmapFileChecksum`, `BmapFileSHA1`)
/// is over its text with that value replaced by zeros, as bmaptool computes it.
public struct BlockMap: Sendable, Equatable {
    public struct Range: Sendable, Equatable {
        /// First and last block, inclusive, as the file writes them.
        public var first: Int64
        public var last: Int64
        /// Lowercase hex; nil before format 1.3.
        public var checksum: String?
    }

    public var version: String
    public var imageSize: Int64
    public var blockSize: Int64
    public var blocksCount: Int64
    public var mappedBlocksCount: Int64
    /// `sha256`, `sha1`...; nil when the ranges carry no checksums.
    public var checksumType: String?
    /// The file's own checksum as written, and the text it is over (that value zeroed).
    public var fileChecksum: String?
    public var textForFileChecksum: String
    public var ranges: [Range]

    /// The bytes of the image a range covers (the last block may be cut by the image's end).
    public func byteRange(_ range: Range) -> Swift.Range<Int64> {
        (range.first * blockSize)..<min(imageSize, (range.last + 1) * blockSize)
    }

    /// Parses the XML bmaptool writes. Throws `.malformed` naming the file and what is wrong.
    public static func parse(_ original: String, fileName: String) throws -> BlockMap {
        let text = withoutComments(original)  // bmaptool's comments name the tags they explain
        func fail(_ what: String) -> EdgeError {
            EdgeError(.malformed, "\(fileName) is not a valid bmap: \(what)", hint: "make it again with bmaptool create, or pass --no-bmap")
        }
        guard let version = attribute("version", ofFirst: "bmap", in: text) else { throw fail("no <bmap version=...> element") }
        let parts = version.split(separator: ".").compactMap { Int($0) }
        guard parts.count == 2 else { throw fail("version '\(version)' is not major.minor") }
        guard parts[0] <= 2 else { throw fail("format version \(version) is newer than 2.x") }
        func number(_ tag: String) throws -> Int64 {
            guard let value = element(tag, in: text).flatMap({ Int64($0) }), value >= 0 else { throw fail("no valid <\(tag)>") }
            return value
        }
        let imageSize = try number("ImageSize"), blockSize = try number("BlockSize")
        let blocksCount = try number("BlocksCount"), mapped = try number("MappedBlocksCount")
        guard blockSize > 0, blockSize % 512 == 0 else { throw fail("block size \(blockSize) is not a multiple of 512") }
        guard imageSize <= Int64.max - blockSize else { throw fail("image size \(imageSize) is too large") }
        guard blocksCount == (imageSize + blockSize - 1) / blockSize else {
            throw fail("\(blocksCount) blocks of \(blockSize) bytes do not make an image of \(imageSize) bytes")
        }
        // As bmaptool reads them: 1.4 and 2.x name their checksum type and must (bmaptool fails on
        // one without), or its checksums would go unchecked; 1.3 means SHA-1; other 1.x have none.
        let modern = parts[0] >= 2 || (parts[0] == 1 && parts[1] == 4)
        let checksumType: String?
        if modern {
            guard let named = element("ChecksumType", in: text)?.lowercased(), !named.isEmpty else {
                throw fail("format \(version) names its checksum type in <ChecksumType>, and this one has none, so its checksums could not be checked")
            }
            checksumType = named
        } else {
            checksumType = parts[0] == 1 && parts[1] == 3 ? "sha1" : nil
        }
        let fileChecksumTag = modern ? "BmapFileChecksum" : "BmapFileSHA1"
        let rangeAttribute = modern ? "chksum" : "sha1"
        let fileChecksum = checksumType == nil ? nil : element(fileChecksumTag, in: text)?.lowercased()
        if checksumType != nil, fileChecksum == nil { throw fail("no <\(fileChecksumTag)>") }

        var ranges: [Range] = []
        // Scanned as bytes, each search starting where the last one ended: Foundation's range(of:) on a
        // Substring copies the rest of the text each time, so a bmap of 100,000 ranges took minutes.
        var rest = Array(text.utf8)[...]
        while let open = rest.firstRange(of: "<Range".utf8) {
            guard let close = rest[open.upperBound...].firstRange(of: "</Range>".utf8),
                  let tagEnd = rest[open.upperBound..<close.lowerBound].firstIndex(of: UInt8(ascii: ">")) else { throw fail("an unterminated <Range>") }
            let attributes = Substring(String(decoding: rest[open.upperBound..<tagEnd], as: UTF8.self))
            let body = String(decoding: rest[(tagEnd + 1)..<close.lowerBound], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let bounds = body.split(separator: "-", omittingEmptySubsequences: false).map { Int64($0.trimmingCharacters(in: .whitespaces)) }
            guard (bounds.count == 1 || bounds.count == 2), let first = bounds.first!, let last = bounds.last! else {
                throw fail("range '\(body)' is not N or N-M")
            }
            guard first <= last, blocksCount > last, first > (ranges.last?.last ?? -1) else {
                throw fail("range \(body) is out of order or beyond block \(blocksCount - 1)")
            }
            let checksum = attribute(rangeAttribute, in: attributes)?.lowercased()
            if checksumType != nil, checksum == nil { throw fail("range \(body) has no \(rangeAttribute) attribute") }
            ranges.append(Range(first: first, last: last, checksum: checksum))
            rest = rest[close.upperBound...]
        }
        let counted = ranges.reduce(Int64(0)) { $0 + $1.last - $1.first + 1 }
        guard counted == mapped else { throw fail("its ranges hold \(counted) blocks, MappedBlocksCount says \(mapped)") }
        var zeroed = original
        if let fileChecksum, let at = zeroed.range(of: fileChecksum, options: .caseInsensitive) {
            zeroed.replaceSubrange(at, with: String(repeating: "0", count: fileChecksum.count))
        }
        return BlockMap(version: version, imageSize: imageSize, blockSize: blockSize, blocksCount: blocksCount,
                        mappedBlocksCount: mapped, checksumType: checksumType, fileChecksum: fileChecksum,
                        textForFileChecksum: zeroed, ranges: ranges)
    }

    private static func withoutComments(_ text: String) -> String {
        var out: [UInt8] = []
        var rest = Array(text.utf8)[...]   // bytes, for the reason the ranges are scanned as bytes
        while let open = rest.firstRange(of: "<!--".utf8) {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstRange(of: "-->".utf8) else { return String(decoding: out, as: UTF8.self) }
            rest = rest[close.upperBound...]
        }
        return String(decoding: out + rest, as: UTF8.self)
    }

    /// The trimmed text of the first `<tag>...</tag>`.
    private static func element(_ tag: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(tag)>"), let close = text[open.upperBound...].range(of: "</\(tag)>") else { return nil }
        return text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func attribute(_ name: String, ofFirst tag: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(tag) "), let end = text[open.upperBound...].firstIndex(of: ">") else { return nil }
        return attribute(name, in: text[open.upperBound..<end])
    }

    /// `name="value"` (or single quotes) among a tag's attributes.
    private static func attribute(_ name: String, in attributes: Substring) -> String? {
        for quote in ["\"", "'"] {
            if let start = attributes.range(of: "\(name)=\(quote)"),
               let end = attributes[start.upperBound...].range(of: quote) {
                return String(attributes[start.upperBound..<end.lowerBound])
            }
        }
        return nil
    }
}
