import CXXHash
import Synchronization

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

/// The digest of every segment of a write, taken by the reader thread and looked up by the I/O
/// threads that read segments back, possibly while later segments are still being read.
public final class SegmentDigests: Sendable {
    private let digests: Mutex<[ChunkDigest?]>

    init(count: Int) { digests = Mutex(Array(repeating: nil, count: count)) }

    subscript(index: Int) -> ChunkDigest? {
        get { digests.withLock { $0[index] } }
        set { digests.withLock { $0[index] = newValue } }
    }
}
