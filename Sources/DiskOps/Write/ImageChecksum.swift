import ISOVerify

/// Hashes a whole image (`edgeflash verify` without a device): a reader thread fills buffers while
/// this thread hashes, so the disk read and the SHA overlap.
public enum ImageChecksum {
    public static func compute(image: ImageFile, algorithm: HashAlgorithm, chunkSize: Int = WritePlan.defaultChunkSize,
                               depth: Int = 3, cancel: CancellationFlag, progress: (WriteProgress) -> Void) throws -> String {
        var hasher = ImageHasher(algorithm)
        let chunk = Int64(chunkSize)
        let count = Int((image.size + chunk - 1) / chunk)
        var done: Int64 = 0
        try BufferPipeline.run(segments: count, bufferSize: chunkSize, depth: depth, cancel: cancel,
            produce: { index, buffer in
                let offset = Int64(index) * chunk
                let length = Int(min(chunk, image.size - offset))
                let got = try image.read(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: length), at: offset)
                guard got == length else { throw ImageChangedError(imagePath: image.path, offset: offset + Int64(got)) }
                buffer.count = got
            },
            consume: { _, buffer in
                hasher.update(buffer.bytes)
                done += Int64(buffer.count)
                progress(WriteProgress(phase: .checksum, bytes: done, totalBytes: image.size))
            })
        return hasher.finalizeHex()
    }
}
