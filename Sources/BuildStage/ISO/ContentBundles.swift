import EdgeCore
import Foundation

/// Finds content bundles the way the Edge build does (`content-*/*.zst`): in each directory given,
/// its own `*.zst` and those of its `content-*` subdirectories.
public enum ContentBundles {
    public static func find(in directories: [String]) throws -> [(path: String, size: Int64)] {
        var found: [(path: String, size: Int64)] = []
        for directory in directories {
            guard FileState.of(directory) == .directory else {
                let problem = FileState.of(directory).problem ?? "is a file, not a directory"
                throw EdgeError(.malformed, "content directory \(directory) \(problem)",
                                hint: "--content takes a content-* directory or the directory holding them")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            for name in names {
                let path = (directory as NSString).appendingPathComponent(name)
                if name.hasSuffix(".zst") {
                    found.append((path, try size(path)))
                } else if name.hasPrefix("content-"), FileState.of(path) == .directory {
                    for inner in try FileManager.default.contentsOfDirectory(atPath: path).sorted() where inner.hasSuffix(".zst") {
                        let innerPath = (path as NSString).appendingPathComponent(inner)
                        found.append((innerPath, try size(innerPath)))
                    }
                }
            }
        }
        return found
    }

    /// `content-*` directories beside `.arg`, which the Edge build picks up without being told.
    public static func besideArg(_ baseDirectory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: baseDirectory)) ?? []
        return names.filter { $0.hasPrefix("content-") }.sorted()
            .map { (baseDirectory as NSString).appendingPathComponent($0) }
            .filter { FileState.of($0) == .directory }
    }

    static func size(_ path: String) throws -> Int64 {
        if let problem = FileState.of(path).problem { throw EdgeError(.malformed, "content bundle \(path) \(problem)") }
        return ISOOutputFiles.size(of: path)
    }
}
