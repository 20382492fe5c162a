import Decompression
import FileIO

/// The image as a disk holds it once written, for what is decided from its own tables (a disk
/// image's finish, the room for a user-data volume, what `verify --against` and `check --image`
/// expect where those rewrote the tables): its length, and its bytes at any offset, zeros past its
/// end, as a disk reads them once its stale ends are cleared. A gzip, xz or zstd file's bytes are
/// its decoded ones, through `DecodedView`: the first 64 MiB, where the tables, an ISO's
/// descriptors and the partitions' heads lie. Past them it reads zeros too, so the backup GPT at a
/// larger image's end is not seen; nothing decided here needs it (a finish builds the moved backup
/// from the primary). Borrows the file: its owner closes it.
struct ImageOnDisk {
    let path: String
    /// The image's length; nil for a stream that does not state it (gzip, zstd from a pipe).
    let size: Int64?
    /// The file's compression; nil for a plain image.
    let format: CompressionFormat?
    private let bytes: any ImageBytes

    init(_ file: OpenFile) throws {
        path = file.path
        format = CompressionFormat.detect(try file.read(offset: 0, count: 6))
        if let format {
            let view = try DecodedView(file: file, format: format)
            bytes = view
            size = view.statedSize
        } else {
            bytes = file
            size = file.size
        }
    }

    /// The length to plan with: the image's, or for a stream of unknown length one no table
    /// reaches past (the write finds its real end).
    var plannedSize: Int64 { size ?? DecodedView.unstatedSize }

    /// `count` bytes from `offset`, zero-padded past what the image holds.
    func read(_ offset: Int64, _ count: Int) throws -> [UInt8] {
        let got = try bytes.read(offset: offset, count: count)
        return got.count == count ? got : got + [UInt8](repeating: 0, count: count - got.count)
    }
}
