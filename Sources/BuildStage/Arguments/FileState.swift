import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What is at a path a build input names, so a directory or an unreadable file is reported as such.
public enum FileState: Sendable, Equatable {
    case readableFile, missing, directory, unreadable

    public static func of(_ path: String) -> FileState {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        if isDirectory.boolValue { return .directory }
        // access(2) answers for this process; root passes it, so also try to open the file.
        guard access(path, R_OK) == 0 else { return .unreadable }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return .unreadable }
        close(fd)
        return .readableFile
    }

    /// "does not exist", "is a directory"... for messages; nil when readable.
    public var problem: String? {
        switch self {
        case .readableFile: nil
        case .missing: "does not exist"
        case .directory: "is a directory, not a file"
        case .unreadable: "is not readable (permission denied)"
        }
    }
}
