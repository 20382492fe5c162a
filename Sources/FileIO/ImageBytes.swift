/// An image's bytes at any offset, for the parsers that read its structures (descriptors, boot
/// catalog, partition tables): a file, or the decompressed bytes of a compressed one.
public protocol ImageBytes {
    /// Names the image in messages.
    var path: String { get }
    /// The image's length in bytes (for a stream that does not state it, an upper bound).
    var size: Int64 { get }
    /// Up to `count` bytes at `offset`, fewer only at the end.
    func read(offset: Int64, count: Int) throws -> [UInt8]
}

extension OpenFile: ImageBytes {}

extension ImageBytes {
    /// Calls `body` with consecutive chunks of `range`, in order, stopping early where the image
    /// ends: a file through the buffer pipeline (`OpenFile.forEachChunk`), other images by reads.
    public func forEachChunk(of range: Range<Int64>, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if let file = self as? OpenFile { return try file.forEachChunk(in: range, body) }
        var offset = range.lowerBound
        while offset < range.upperBound {
            let bytes = try read(offset: offset, count: Int(min(Int64(OpenFile.chunkSize), range.upperBound - offset)))
            if bytes.isEmpty { return }
            try bytes.withUnsafeBytes(body)
            offset += Int64(bytes.count)
        }
    }
}
