import CLzma
import EdgeCore
import FileIO

extension DecodedSize {
    /// Why a file states no decompressed size, when the reason is damage: an xz file's end holds
    /// no valid footer, index or stream header where the format puts them; a zstd frame's blocks
    /// run past the file's end, or a header cannot be one. In the decoder's words (exit 6), so a
    /// write that needs the size says what is wrong before it starts; nil for a file whole as far
    /// as these structures go (gzip, a zstd frame written from a pipe).
    public static func damage(of file: OpenFile, format: CompressionFormat) -> EdgeError? {
        let found: (kind: DecodeFailure.Kind, reason: String, offset: Int64)
        switch format {
        case .gzip:
            return nil
        case .xz:
            switch xzStreams(file) {
            case .index(let index): lzma_index_end(index, nil); return nil
            case .unread: return nil
            case .damaged(let kind, let reason, let offset): found = (kind, reason, offset)
            }
        case .zstd:
            guard case .damaged(let kind, let reason, let offset) = zstdWalk(file) else { return nil }
            found = (kind, reason, offset)
        }
        return DecodedStream.error(found.kind, found.reason, place: "at byte offset \(found.offset)", file: file, format: format)
    }
}
