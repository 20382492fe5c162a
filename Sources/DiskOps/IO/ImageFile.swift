import EdgeCore
import FileIO
import Synchronization

/// An image file as the source of a write: read front to back through the page cache (it is
/// usually already there after a download or a checksum), and re-readable at any offset, so a
/// read-back names the exact first byte that differs. Closed by its owner (`close()`).
public final class ImageFile: SeekableImageSource {
    public let file: OpenFile
    private let position = Mutex<Int64>(0)

    public var path: String { file.path }
    public var size: Int64 { file.size }

    /// Throws `DeviceIOError` when the file cannot be opened or queried, and an invalid-input error
    /// for a directory: it opens and has a size, and would fail only at the first read, after a
    /// write had already cleared the disk's first MiB.
    public init(path: String) throws {
        file = try OpenFile.open(path)
        if file.kind == .directory {
            file.close()
            throw EdgeError(.malformed, "\(path) is a directory, not an image",
                            hint: "Give the image file, such as installer.iso.")
        }
        file.adviseSequential()
    }

    public func close() { file.close() }

    public func readNext(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try position.withLock { offset in
            let got = try file.read(into: buffer, at: offset)
            offset += Int64(got)
            return got
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        try file.read(into: buffer, at: offset)
    }
}
