import CXXHash

/// XXH3-128 of one segment of the image: cheap enough (tens of GB/s) to take of every segment on
/// every write, so the read-back compares against it instead of re-hashing the image with SHA-256.
public struct ChunkDigest: Sendable, Equatable {
    public let low: UInt64
    public let high: UInt64

    public init(of bytes: UnsafeRawBufferPointer) {
        let hash = XXH3_128bits(bytes.baseAddress, bytes.count)
        low = hash.low64
        high = hash.high64
    }
}
