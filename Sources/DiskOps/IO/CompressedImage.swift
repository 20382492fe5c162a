import Decompression
import EdgeCore
import FileIO
import ISOVerify

/// A gzip, xz or zstd image file as the source of a write: its decompressed bytes, decoded front to
/// back on the write's reader thread (xz's own threads decode a multi-block stream in parallel).
/// The decoded bytes are hashed as they come (`ImageHashes`: the SHA-256 that names the image in
/// the flash log, and the expected checksum's hash when it is over the image), so the writer takes
/// no hash of its own; when the checksum is over the stored file, that is hashed as it is read
/// (and the decoded bytes too, when its list has a line for the decoded image as well).
/// The stored file stays its owner's to close.
public final class CompressedImage: HashedImageSource, @unchecked Sendable {
    public let file: ImageFile
    public let format: CompressionFormat
    /// The decompressed length the file states (xz index, zstd frame headers); nil for a stream.
    public let statedSize: Int64?
    private let stream: DecodedStream
    private let storedHash: StoredHash?
    private var hashes: ImageHashes
    /// Set once the stream ended (a read came back short).
    private var digests: ImageHashes.Digests?

    /// `expected`: the checksum the write checks, over the decoded image, the stored file, or either.
    /// `size`: for a stream that does not state its length, the one an earlier decode found.
    public init(file: ImageFile, format: CompressionFormat, expected: ExpectedChecksum?, size: Int64? = nil) throws {
        self.file = file
        self.format = format
        statedSize = DecodedSize.of(file.file, format: format) ?? size
        let hash = expected.flatMap { $0.coverage == .image ? nil : StoredHash(StreamingHash($0.algorithm)) }
        storedHash = hash
        hashes = ImageHashes(expected: expected)
        stream = try DecodedStream(file: file.file, format: format, observeInput: hash.map { hash in { hash.value.update($0) } })
    }

    /// The format of the file at `file`, by its magic bytes; nil for an uncompressed image.
    public static func format(of file: ImageFile) throws -> CompressionFormat? {
        CompressionFormat.detect(try file.file.read(offset: 0, count: 6))
    }

    /// Once `size` bytes were read: reads on, so the decoder checks what ends the stream (the last
    /// block's check, the index), and refuses more data than the size said.
    func readToEnd() throws {
        var byte: UInt8 = 0
        if try withUnsafeMutableBytes(of: &byte, { try readNext(into: $0) }) > 0 {
            throw EdgeError(.malformed, "\(path) decompresses to more than the \(size) bytes its headers state",
                            hint: "The file is damaged or was altered: download it again.")
        }
    }

    /// Buffers in the write's ring, when a plain image's would have `plainDepth`: decoding,
    /// hashing and writing are three stages, and a third buffer keeps the decoder from waiting for
    /// the other two, but a decoder's ring is one smaller than a plain image's (it buffers on its
    /// own), and xz's is two: its threads buffer whole blocks and take the memory of a third (the
    /// 64 MiB bound). Several writes side by side (a ring of three each) get two.
    public func ringDepth(insteadOf plainDepth: Int) -> Int {
        min(format == .xz ? 2 : 3, plainDepth - 1)
    }

    public var path: String { file.path }
    public var size: Int64 { statedSize ?? 0 }
    public var sizeIsStated: Bool { statedSize != nil }

    public func readNext(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let got = try decodeNext(into: buffer)
        hash(UnsafeRawBufferPointer(rebasing: buffer[..<got]), asked: buffer.count)
        return got
    }

    /// `readNext` in two halves, for a writer that decodes on one thread and hashes on the next
    /// (`SourceSegments`): decoding and hashing then use two cores instead of taking turns on one.
    /// Every decoded chunk goes through `hash`, in order, before the hashes are asked for.
    func decodeNext(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try stream.read(into: buffer)
    }

    /// Hashes a chunk `decodeNext` gave for a read of `asked` bytes (a short one ended the stream).
    func hash(_ chunk: UnsafeRawBufferPointer, asked: Int) {
        hashes.update(chunk)
        if chunk.count < asked, digests == nil { digests = hashes.finalize() }
    }

    /// The writer asks once it read the stream to its end (a stated one one byte past it).
    public func expectedHash() throws -> String? {
        guard let digests else { throw EdgeError(.failure, "internal error: \(path) was hashed before it was read to its end") }
        return digests.expected
    }

    public var writtenImage: WrittenImage? { digests?.image }

    public func storedFileDigest() -> String? { storedHash?.value.finalizeHex() }

    private final class StoredHash {
        var value: StreamingHash
        init(_ value: StreamingHash) { self.value = value }
    }
}
