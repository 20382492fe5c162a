/// What produces the bytes of an image. The engine reads it once, front to back, in segment order:
/// a file, or a decompressor (which can only go forward), so nothing here seeks.
public protocol ImageSource: Sendable {
    /// Names the image in messages.
    var path: String { get }
    /// The image's length in bytes; 0 when `sizeIsStated` is false.
    var size: Int64 { get }
    /// False for a compressed stream that does not state its decompressed length (gzip, zstd from
    /// a pipe): it is written as it comes, and the target's end is its limit.
    var sizeIsStated: Bool { get }
    /// Fills `buffer` with the image's next bytes; returns how many, fewer only where it ends.
    func readNext(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// The digest of the file as stored, for a compressed one whose checksum is over its stored
    /// bytes; ready once the image was read to its end. nil otherwise.
    func storedFileDigest() -> String?
}

extension ImageSource {
    public var sizeIsStated: Bool { true }
    public func storedFileDigest() -> String? { nil }
}

/// A source that can also read any range again (a file). With one, a read-back that finds a
/// segment different names the exact first byte; without, it names the segment's first byte.
public protocol SeekableImageSource: ImageSource {
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int
}

/// A source that hashes the image itself as it reads it (a fan-out reads it once for all its
/// targets; a decoder hashes what it decodes): the writer compares this hash with the expected
/// checksum instead of hashing again.
public protocol HashedImageSource: ImageSource {
    /// The hash, hex, of the whole image for the checksum the write expects (nil when none is);
    /// waits until the image was read to its end.
    func expectedHash() throws -> String?
    /// The image's size and SHA-256 once it was read to its end (for the flash log); nil before.
    var writtenImage: WrittenImage? { get }
}
