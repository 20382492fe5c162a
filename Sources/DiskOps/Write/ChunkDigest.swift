import CXXHash

/// XXH3-128 of one segment of the image: cheap enough (tens of GB/s) to take of every segment on
/// every write, so the read-back compares against it instead of re-hashing the image with SHA-256.
public struct ChunkDigest: Sendable, Equatable {
    public let low: UInt64
    public let high: UInt64

    public init(of bytes: UnsafeRawBufferPointer) {
        self.init(Self.hash(bytes.baseAddress, bytes.count, seed: 0))
    }

    private init(_ hash: XXH128_hash_t) {
        low = hash.low64
        high = hash.high64
    }

    /// The digest of the parts of `bytes` (the image's bytes from `offset`) that `map` maps, each
    /// seeded with the one before: only they are written and read back, so the holes between them
    /// are neither zeroed nor hashed. Without a map, of every byte.
    init(of bytes: UnsafeRawBufferPointer, at offset: Int64, mappedBy map: ImageMap?) {
        guard let map else { self.init(of: bytes); return }
        var hash = XXH128_hash_t(low64: 0, high64: 0)
        for part in map.mapped(in: offset..<(offset + Int64(bytes.count))) {
            hash = Self.hash(bytes.baseAddress! + Int(part.lowerBound - offset), Int(part.count), seed: hash.low64 ^ hash.high64)
        }
        self.init(hash)
    }

    /// XXH3-128 with the code path this CPU runs fastest (AVX2 or AVX-512 on x86-64: the read-back's
    /// digests of cold buffers take a tenth of a decoded write's CPU otherwise).
    private static func hash(_ start: UnsafeRawPointer?, _ count: Int, seed: UInt64) -> XXH128_hash_t {
        #if arch(x86_64)
        XXH3_128bits_withSeed_dispatch(start, count, seed)
        #else
        XXH3_128bits_withSeed(start, count, seed)
        #endif
    }
}
