import Decompression
import EdgeCore
import FileIO

/// ISOVerify reads images through the shared file layer and words its failures its own way:
/// "cannot read PATH: reason", the wording `inspect` and `verify` have always printed.
enum ImageFileAccess {
    /// Opens `path` read-only, runs `body`, closes it. Refuses what is neither a regular file nor a
    /// block device; I/O errors (from `body` too) become `EdgeError.cannotRead`.
    static func withFile<Result>(_ path: String, _ body: (OpenFile) throws -> Result) throws -> Result {
        let file: OpenFile
        do {
            file = try OpenFile.open(path)
        } catch {
            throw EdgeError.cannotRead(error)
        }
        return try file.closeAfter { file in
            guard file.kind == .regularFile || file.kind == .blockDevice else {
                throw EdgeError(.malformed, "\(path) is not a regular file or block device")
            }
            do {
                return try body(file)
            } catch let error as DeviceIOError {
                throw EdgeError.cannotRead(error)
            }
        }
    }
}

extension ImageFileAccess {
    /// The compression of the file at `path` (`ImageContent`: a format edgeflash does not decode,
    /// or a file that is no image, is refused); nil for an uncompressed image.
    static func compression(of path: String) throws -> CompressionFormat? {
        try withFile(path) { try ImageContent.compression(of: $0) }
    }

    /// Opens `path` as `withFile` does and runs `body` over the image's bytes: the file's own, or
    /// for a gzip, xz or zstd file the decompressed ones (`DecodedView`, which decodes only as far
    /// as the reads go), with the format. What `ImageContent` refuses is refused here.
    static func withImage<Result>(_ path: String, _ body: (any ImageBytes, CompressionFormat?) throws -> Result) throws -> Result {
        try withFile(path) { file in
            guard let format = try ImageContent.compression(of: file) else { return try body(file, nil) }
            return try body(try DecodedView(file: file, format: format), format)
        }
    }
}

extension EdgeError {
    /// A failed system call on an image, in ISOVerify's words.
    static func cannotRead(_ error: DeviceIOError) -> EdgeError {
        var what = error.errno.description
        if let offset = error.offset, error.operation != .open { what += " at byte \(offset)" }
        return cannotRead(error.path, what)
    }
}
