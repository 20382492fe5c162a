import EdgeCore
import Foundation

/// The kernel and initramfs the live ISO boots, found in the image's `/boot` the way AuroraBoot
/// finds them: the plain names first (Kairos images link `/boot/vmlinuz` and `/boot/initrd` to
/// the versioned files), then the versioned files, newest version first.
public struct BootFiles: Sendable, Equatable, Codable {
    /// Where the files are on this machine, links followed inside the image.
    public var kernel: String
    public var initrd: String
    /// The names they were found under in the image, for messages.
    public var kernelInImage: String
    public var initrdInImage: String

    static let kernelNames = ["vmlinuz", "vmlinuz-*", "Image", "Image-*", "zImage", "zImage-*"]
    static let initrdNames = ["initrd", "initrd.img", "initramfs.img", "initrd-*", "initrd.img-*", "initramfs-*.img"]

    public static func find(in rootPath: String) throws -> BootFiles {
        let root = ImageRoot(path: rootPath)
        let names = try root.names(in: "/boot")
        guard let kernel = try first(of: kernelNames, among: names, in: root, version: nil) else {
            throw missing("kernel", kernelNames, root: root)
        }
        let version = versionSuffix(of: kernel.name)
        guard let initrd = try first(of: initrdNames, among: names, in: root, version: version) else {
            throw missing("initrd (initramfs)", initrdNames, root: root)
        }
        return BootFiles(kernel: kernel.host, initrd: initrd.host,
                         kernelInImage: "/boot/" + kernel.name, initrdInImage: "/boot/" + initrd.name)
    }

    /// The first pattern that names a regular file; among the names one `*` pattern matches, the
    /// one of `version` if there is one, else the newest version.
    static func first(of patterns: [String], among names: [String], in root: ImageRoot,
                      version: String?) throws -> (name: String, host: String)? {
        for pattern in patterns {
            let matches = names.filter { matchesPattern($0, pattern) }
                .sorted { $0.compare($1, options: .numeric) == .orderedDescending }
            let preferred = matches.filter { version != nil && versionSuffix(of: $0) == version } + matches
            for name in preferred where try root.isFile("/boot/" + name) {
                if let host = try root.resolve("/boot/" + name) { return (name, host) }
            }
        }
        return nil
    }

    /// `name` against a pattern with at most one `*`.
    static func matchesPattern(_ name: String, _ pattern: String) -> Bool {
        guard let star = pattern.firstIndex(of: "*") else { return name == pattern }
        let prefix = pattern[..<star], suffix = pattern[pattern.index(after: star)...]
        return name.count > prefix.count + suffix.count && name.hasPrefix(prefix) && name.hasSuffix(suffix)
    }

    /// "6.1.0-13-amd64" of "vmlinuz-6.1.0-13-amd64" or "initrd.img-6.1.0-13-amd64", without ".img".
    static func versionSuffix(of name: String) -> String? {
        guard let dash = name.firstIndex(of: "-") else { return nil }
        var version = String(name[name.index(after: dash)...])
        if version.hasSuffix(".img") { version.removeLast(4) }
        return version
    }

    static func missing(_ what: String, _ patterns: [String], root: ImageRoot) -> EdgeError {
        EdgeError(.malformed, "the image has no \(what): looked for " + patterns.map { "/boot/\($0)" }.joined(separator: ", ")
                              + " in \(root.path)",
                  hint: "build the ISO from an image that carries its kernel and initramfs in /boot (an iso-image, not a provider image)")
    }
}
