import EdgeCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An image's root filesystem on this machine, and paths inside it resolved as the image itself
/// would see them: symlinks are followed inside the root (an absolute target means the image's
/// `/`, never this machine's), and a link that climbs out of the root is refused.
struct ImageRoot {
    /// The root directory on this machine, absolute, without a trailing slash.
    let path: String

    init(path: String) {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        self.path = URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// Where `inside` (such as "/boot/vmlinuz") is on this machine, every link followed; nil when
    /// it does not exist in the image.
    func resolve(_ inside: String) throws -> String? {
        var pending = inside.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var links = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            switch component {
            case "", ".":
                continue
            case "..":
                guard !resolved.isEmpty else {
                    throw EdgeError(.malformed, "the image's \(inside) points outside the image root \(path)",
                                    hint: "a link in the image must stay inside it; fix the image's link")
                }
                resolved.removeLast()
                continue
            default:
                break
            }
            let candidate = resolved + [component]
            let host = hostPath(candidate)
            var info = stat()
            guard lstat(host, &info) == 0 else { return nil }
            guard info.st_mode & S_IFMT == S_IFLNK else {
                resolved = candidate
                continue
            }
            links += 1
            guard links <= 40, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: host) else {
                throw EdgeError(.malformed, "the image's \(inside) is a loop of symbolic links", hint: "fix the image's links")
            }
            if target.hasPrefix("/") { resolved = [] }
            pending = target.split(separator: "/").map(String.init) + pending
        }
        return hostPath(resolved)
    }

    /// The names in a directory of the image (itself resolved inside the root), sorted; empty when
    /// it is missing.
    func names(in directory: String) throws -> [String] {
        guard let host = try resolve(directory) else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: host)) ?? []).sorted()
    }

    /// True when `inside` resolves to a regular file.
    func isFile(_ inside: String) throws -> Bool {
        guard let host = try resolve(inside) else { return false }
        var info = stat()
        return stat(host, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    private func hostPath(_ components: [String]) -> String {
        components.isEmpty ? path : path + "/" + components.joined(separator: "/")
    }
}
