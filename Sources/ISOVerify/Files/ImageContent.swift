import Decompression
import EdgeCore
import FileIO

/// The one rule for what an image file is, before anything reads it as an image: `write`'s
/// preflight, `verify` and `inspect` all ask here, so they agree. A gzip, xz or zstd file is
/// decoded; a format edgeflash does not decode, a file that is clearly no disk image
/// (`ForeignFile`), and a compressed file that states it decompresses to nothing are refused
/// (exit 6) before any device is touched; anything else is the image as it is.
public enum ImageContent {
    /// The compression to decode `file` with; nil when its bytes are the image.
    public static func compression(of file: OpenFile) throws -> CompressionFormat? {
        guard file.kind == .regularFile else { return CompressionFormat.detect(try file.read(offset: 0, count: 6)) }
        let head = try file.read(offset: 0, count: ForeignFile.headSize)
        let format = CompressionFormat.detect(head)
        if format == .zstd, CompressionFormat.startsWithSkippableFrame(head) {
            // What follows the skippable frames says whose they are: zstd's (pzstd) or lz4's.
            let after = try file.read(offset: try skippableFramesEnd(file), count: ForeignFile.headSize)
            if let foreign = ForeignFile.unsupported(after) { throw refusal(foreign, path: file.path) }
        }
        if let format {
            if format != .gzip, DecodedSize.of(file, format: format) == 0 {
                throw EdgeError(.malformed, "\(file.path) decompresses to nothing: its \(format.toolName) headers state 0 bytes, no image to write",
                                hint: "The file was made from an empty input: download or build the image again.")
            }
            return format
        }
        if let foreign = ForeignFile.identify(head, fileSize: file.size) { throw refusal(foreign, path: file.path) }
        return nil
    }

    static func refusal(_ foreign: ForeignFile, path: String) -> EdgeError {
        switch foreign {
        case .unsupported(let name, let unpack):
            return EdgeError(.malformed, "\(path) is \(name), which edgeflash does not decode",
                             hint: "Get the image out of it first (\(unpack.replacingOccurrences(of: "FILE", with: path))) and write that; edgeflash decodes gzip, xz and zstd itself.")
        case .notAnImage(let what, let instead):
            return EdgeError(.malformed, "\(path) is not a disk image: it looks like \(what)", hint: instead)
        }
    }

    /// Where the skippable frames at the start of `file` end.
    static func skippableFramesEnd(_ file: OpenFile) throws -> Int64 {
        var offset: Int64 = 0
        while true {
            let header = try file.read(offset: offset, count: 8)
            guard header.count == 8, CompressionFormat.startsWithSkippableFrame(header) else { return offset }
            offset += 8 + Int64(UInt32(header[4]) | UInt32(header[5]) << 8 | UInt32(header[6]) << 16 | UInt32(header[7]) << 24)
        }
    }
}
