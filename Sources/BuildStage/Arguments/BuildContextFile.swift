import Foundation

/// A file `.arg` names (CLUSTERCONFIG, EDGE_CUSTOM_CONFIG), resolved the way CanvOS's build can
/// reach it: inside the `.arg`'s directory, its build context. `../`, an absolute path elsewhere
/// and a symlink that leads out are refused, so a `.arg` cannot stage `/etc/shadow` into an ISO;
/// a symlink inside is followed, so the ISO gets the file's bytes rather than a dangling link.
public enum BuildContextFile {
    public static let keys = ["CLUSTERCONFIG", "EDGE_CUSTOM_CONFIG"]

    public struct Problem: Error, Equatable, Sendable {
        /// Completes "KEY names a file that ...".
        public var reason: String
        public var allowed: String?
    }

    static let insideContext = "a path inside the .arg's directory (CanvOS's build context)"

    /// The real path to stage, or why not. `fileState` says whether what is there is a readable file.
    static func resolve(_ path: String, baseDirectory: String,
                        fileState: (String) -> FileState) -> Result<String, Problem> {
        if path.split(separator: "/").contains("..") {
            return .failure(Problem(reason: "goes up with '..', out of the .arg's directory", allowed: insideContext))
        }
        let absoluteBase = baseDirectory.hasPrefix("/") ? baseDirectory
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(baseDirectory)
        let base = (absoluteBase as NSString).standardizingPath
        let joined = path.hasPrefix("/") ? (path as NSString).standardizingPath : (base as NSString).appendingPathComponent(path)
        guard isInside(joined, base) else {
            return .failure(Problem(reason: "is outside the .arg's directory", allowed: insideContext))
        }
        // realpath(3) resolves every symlink; it fails when nothing is there (or a link dangles),
        // which the file-state check below reports.
        var resolved = joined
        if let real = realPath(joined) {
            guard isInside(real, realPath(base) ?? base) else {
                return .failure(Problem(reason: "is a symlink that leads outside the .arg's directory", allowed: insideContext))
            }
            resolved = real
        }
        if let problem = fileState(resolved).problem { return .failure(Problem(reason: problem)) }
        return .success(resolved)
    }

    /// `path` is `directory` itself or below it (both absolute and standardized).
    static func isInside(_ path: String, _ directory: String) -> Bool {
        directory == "/" || path == directory || path.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
