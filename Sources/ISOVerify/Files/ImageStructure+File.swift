import FileIO
import Foundation

/// `ImageStructure` read from a file: kept apart from the parser, so the fuzz target builds
/// without the file layer.
extension ImageStructure {
    /// Reads the image at `image`, through its decompressed bytes when it is compressed.
    public static func read(image: URL) throws -> ImageStructure {
        try ImageFileAccess.withImage(image.path) { file, _ in try read(file) }
    }

    public static func read(_ file: any ImageBytes) throws -> ImageStructure {
        try read(size: file.size, path: file.path) { try file.read(offset: $0, count: $1) }
    }
}
