import Decompression
import EdgeCore
import FileIO
import ISOVerify

/// A gzip, xz or zstd image file as the source of a write: its decompressed bytes, decoded front to
/// back on the write's reader thread (xz's own threads decode a multi-block stream in parallel).
/// When the checksum is over the stored file, it is hashed as it is read. The stored file stays
/// its owner's to close.
public final class CompressedImage: ImageSource, @unchecked Sendable {
    public let file: ImageFile
    public let format: CompressionFormat
    /// The decompressed length the file states (xz index, zstd frame headers); nil for a stream.
    public let statedSize: Int64?
    private let stream: DecodedStream
    private let storedHash: StoredHash?

    /// `hashStoredFile`: take this hash of the compressed bytes while decoding.
    public init(file: ImageFile, format: CompressionFormat, hashStoredFile: HashAlgorithm? = nil) throws {
        self.file = file
        self.format = format
        statedSize = DecodedSize.of(file.file, format: format)
        let hash = hashStoredFile.map { StoredHash(StreamingHash($0)) }
        storedHash = hash
        stream = try DecodedStream(file: file.file, format: format, observeInput: hash.map { hash in { hash.value.update($0) } })
    }

    /// The format of the file at `file`, by its magic bytes; nil for an uncompressed image.
    public static func format(of file: ImageFile) throws -> CompressionFormat? {
        CompressionFormat.detect(try file.file.read(offset: 0, count: 6))
    }

    public var path: String { file.path }
    public var size: Int64 { statedSize ?? 0 }
    public var sizeIsStated: Bool { statedSize != nil }

    public func readNext(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try stream.read(into: buffer)
    }

    public func storedFileDigest() -> String? { storedHash?.value.finalizeHex() }

    private final class StoredHash {
        var value: StreamingHash
        init(_ value: StreamingHash) { self.value = value }
    }
}
