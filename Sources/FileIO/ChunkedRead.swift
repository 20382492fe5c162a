/// Whole-file passes (a checksum, the implanted MD5) on the shared pipeline: a reader thread fills
/// the next page-aligned buffer while the caller hashes the current one, so reading and hashing
/// overlap on two cores.
extension OpenFile {
    /// 4 MiB: large enough that syscalls cost nothing next to hashing, small enough for the cache.
    public static let chunkSize = 4 << 20

    /// Calls `body` with consecutive chunks of `range` (the whole file when nil), in order, on the
    /// calling thread. Stops early at the end of the file; a read error is thrown, and so is an
    /// error `body` throws, once the reader thread has stopped.
    public func forEachChunk(in range: Range<Int64>? = nil, chunkSize: Int = OpenFile.chunkSize,
                             _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let range = range ?? 0..<size
        guard !range.isEmpty else { return }
        let chunk = Int64(chunkSize)
        let count = Int((Int64(range.count) + chunk - 1) / chunk)
        let file = self
        try BufferPipeline.forEach(segments: count, bufferSize: (chunkSize + AlignedBuffer.alignment - 1) / AlignedBuffer.alignment * AlignedBuffer.alignment,
            produce: { index, buffer in
                let start = range.lowerBound + Int64(index) * chunk
                let length = Int(min(chunk, range.upperBound - start))
                buffer.count = try file.read(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: length), at: start)
            },
            consume: { _, buffer in
                if buffer.count > 0 { try body(buffer.bytes) }
            })
    }
}
