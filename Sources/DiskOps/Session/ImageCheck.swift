import EdgeCore
import ISOVerify

/// The image a write reads, checked before any disk is touched: a regular file with bytes in it,
/// that `ImageContent` takes for an image (a format edgeflash does not decode, the bmap or checksum
/// file beside the image given by mistake, an xz or zstd file that states 0 bytes: refused). A pipe (`<(curl ...)`, a FIFO) has no size to check the disk against and cannot be read twice
/// (once to write, once to compare the read-back); opening a FIFO with no writer would even wait
/// forever. So anything but a regular file is refused by name, before it is opened.
enum ImageCheck {
    static func open(_ path: String) throws -> ImageFile {
        if let status = FileStatus.of(path), status.kind != .regularFile {
            throw EdgeError(.malformed, "\(path) is \(status.kindName), not an image file",
                            hint: hint(for: status.kind))
        }
        let image = try ImageFile(path: path)
        guard image.size > 0 else {
            image.close()
            throw EdgeError(.malformed, "\(path) is empty: nothing to write")
        }
        do {
            _ = try ImageContent.compression(of: image.file)
        } catch {
            image.close()
            throw error
        }
        return image
    }

    private static func hint(for kind: FileStatus.Kind) -> String {
        switch kind {
        case .directory: "Give the image file, such as installer.iso."
        case .blockDevice: "To copy a disk, save it to a file first (dd if=DISK of=disk.img), then write that file."
        default: "Save the stream to a file first (for example: curl -o installer.iso URL), then write that file."
        }
    }
}
