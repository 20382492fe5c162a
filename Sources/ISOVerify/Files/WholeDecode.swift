import Decompression
import EdgeCore
import FileIO
import Foundation

/// A compressed image decoded from its first byte to its last, as `inspect --deep` and `verify`
/// check it: a truncated, corrupt or trailing stream fails here as it fails a write (exit 6, the
/// compressed offset named), rather than passing because the first MiBs parsed.
public enum WholeDecode {
    public struct Result: Sendable {
        public var format: CompressionFormat
        public var decodedBytes: Int64
        /// The decoded image's digest, when an algorithm was asked for.
        public var digest: String?
    }

    /// Decodes `file`; hashes the decoded bytes with `algorithm` when given. `progress` gets the
    /// compressed bytes read so far.
    public static func run(_ file: OpenFile, format: CompressionFormat, algorithm: HashAlgorithm? = nil,
                           progress: ((Int64) -> Void)? = nil) throws -> Result {
        let stream = try DecodedStream(file: file, format: format)
        var hash = algorithm.map { StreamingHash($0) }
        let length = try stream.readToEnd(observe: hash == nil ? nil : { hash?.update($0) }, progress: progress)
        return Result(format: format, decodedBytes: length, digest: hash?.finalizeHex())
    }

    /// The image at `path` decoded whole; nil when it is not compressed.
    public static func run(imagePath: String, progress: ((Int64, Int64) -> Void)? = nil) throws -> Result? {
        try ImageFileAccess.withFile(imagePath) { file in
            guard let format = try ImageContent.compression(of: file) else { return nil }
            return try run(file, format: format) { progress?($0, file.size) }
        }
    }
}
