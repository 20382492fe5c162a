import FileIO
import Foundation

/// `ImageStructure` read from a file: kept apart from the parser, so the fuzz target builds
/// without the file layer.
extension ImageStructure {
    public static func read(image: URL) throws -> ImageStructure {
        try ImageFileAccess.withFile(image.path) { try read($0) }
    }

    public static func read(_ file: OpenFile) throws -> ImageStructure {
        try read(size: file.size, path: file.path) { try file.read(offset: $0, count: $1) }
    }
}
