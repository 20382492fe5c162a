import EdgeCore
import ISOVerify

/// What names an image in the flash log after a write through a bmap, which read the image in its
/// mapped ranges only and so hashed nothing whole: the ranges' digest (`RangesDigest`: the rest of
/// the stick kept what it held, so only they say what it holds).
enum MappedWriteDigest {
    /// The bmap's ranges and their digest: stated by its sha256 range checksums (the write checked
    /// every range against them), else read again from the image file. nil for a compressed image
    /// whose bmap has no sha256 checksums, and for more ranges than a log line should hold.
    static func bmapRanges(_ map: ImageMap, source: any ImageSource) throws -> MappedRanges? {
        guard map.ranges.count <= MappedRanges.mostRanges else { return nil }
        if map.checksumType == "sha256", let checksums = map.checksums {
            return MappedRanges(bmap: map.source, ranges: map.ranges, sha256: RangesDigest.of(rangeSHA256s: checksums))
        }
        guard source is ImageFile else { return nil }
        var digest = RangesDigest(ranges: map.ranges)
        _ = try read(source.path, map: map) { bytes, offset in digest.update(bytes, at: offset) }
        return MappedRanges(bmap: map.source, ranges: map.ranges, sha256: digest.finalizeHex())
    }

    /// The image file front to back in chunks, as a write through `map` put it on the disk: the
    /// mapped parts read, zeros between them. Returns the file's size.
    private static func read(_ path: String, map: ImageMap, chunk: (UnsafeRawBufferPointer, Int64) -> Void) throws -> Int64 {
        let file = try ImageFile(path: path)
        defer { file.close() }
        var buffer = [UInt8](repeating: 0, count: 4 << 20)
        var offset: Int64 = 0
        while offset < file.size {
            let span = offset..<min(file.size, offset + Int64(buffer.count))
            try buffer.withUnsafeMutableBytes { bytes in
                let count = Int(span.count)
                bytes.initializeMemory(as: UInt8.self, repeating: 0)
                for part in map.mapped(in: span) {
                    let at = Int(part.lowerBound - span.lowerBound)
                    let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[at..<(at + Int(part.count))]), at: part.lowerBound)
                    guard got == part.count else { throw ImageChangedError(imagePath: path, offset: part.lowerBound + Int64(got)) }
                }
                chunk(UnsafeRawBufferPointer(rebasing: bytes[..<count]), span.lowerBound)
            }
            offset = span.upperBound
        }
        return file.size
    }
}
