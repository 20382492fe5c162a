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
