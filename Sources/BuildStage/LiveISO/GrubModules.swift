import EdgeCore
import Foundation

/// One GRUB platform's modules directory (`/usr/lib/grub/x86_64-efi`...) and where it came from.
public struct GrubModules: Sendable, Equatable, Codable {
    public enum Origin: String, Sendable, Codable {
        case grubDir = "--grub-dir"
        case image = "the image"
        case host = "this machine's grub packages"
    }
    public var platform: String
    public var path: String
    public var origin: Origin

    /// The files grub-mkimage needs from a platform directory (and, for BIOS, what the ISO
    /// carries: the El Torito boot sector and the hybrid MBR).
    static func requiredFiles(_ platform: String) -> [String] {
        platform == "i386-pc" ? ["kernel.img", "moddep.lst", "cdboot.img", "boot_hybrid.img"] : ["kernel.img", "moddep.lst"]
    }

    /// Each platform the architecture boots, from `--grub-dir` when given, else from the image
    /// when it carries GRUB's modules (`/usr/lib/grub/PLATFORM`), else from this machine.
    static func locate(_ architecture: LiveISOArchitecture, imageRoot: String, grubDirectory: String?,
                       host: String = "/usr/lib/grub") throws -> [GrubModules] {
        let root = ImageRoot(path: imageRoot)
        return try architecture.platforms.map { platform in
            var candidates: [(String?, Origin)] = []
            if let grubDirectory {
                candidates.append((grubDirectory + "/" + platform, .grubDir))
            } else {
                candidates.append((try root.resolve(imageDirectory(platform)), .image))
                candidates.append((host + "/" + platform, .host))
            }
            for case let (path?, origin) in candidates {
                let complete = origin == .image ? try isComplete(in: root, platform: platform) : isComplete(path, platform: platform)
                if complete { return GrubModules(platform: platform, path: path, origin: origin) }
            }
            let package = LiveISOArchitecture.package(of: platform)
            let looked = grubDirectory.map { "\($0)/\(platform)" } ?? "the image's /usr/lib/grub/\(platform) and \(host)/\(platform)"
            throw EdgeError(.unavailable, "GRUB's \(platform) modules are missing: looked in \(looked)",
                            hint: platform == "arm64-efi"
                                ? "give --grub-dir DIR holding arm64-efi/, e.g. from `apt-get download grub-efi-arm64-bin:arm64` and `dpkg-deb -x` of it (DIR is its usr/lib/grub)"
                                : "install \(package) (apt-get install \(package)) or give --grub-dir")
        }
    }

    static func isComplete(_ path: String, platform: String) -> Bool {
        requiredFiles(platform).allSatisfy { FileManager.default.fileExists(atPath: path + "/" + $0) }
    }

    /// The image's files resolved inside its root: a link to this machine's files counts as missing.
    static func isComplete(in root: ImageRoot, platform: String) throws -> Bool {
        try requiredFiles(platform).allSatisfy { try root.isFile(imageDirectory(platform) + "/" + $0) }
    }

    static func imageDirectory(_ platform: String) -> String { "/usr/lib/grub/" + platform }

    /// The directory grub-mkimage and xorriso read. Modules from the image are copied into
    /// `scratch` first, each regular file resolved inside the image root (links that lead nowhere
    /// in the image are left out), so a hostile image cannot make them read this machine's files
    /// through a link; `--grub-dir` and the host's are the user's own and read where they are.
    func readable(imageRoot: ImageRoot, in scratch: URL) throws -> String {
        guard origin == .image else { return path }
        let inside = Self.imageDirectory(platform)
        let copy = scratch.appendingPathComponent("grub-" + platform)
        do {
            try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: false)
            for name in try imageRoot.names(in: inside) where try imageRoot.isFile(inside + "/" + name) {
                guard let source = try imageRoot.resolve(inside + "/" + name) else { continue }
                try FileManager.default.copyItem(atPath: source, toPath: copy.path + "/" + name)
            }
        } catch let error as EdgeError {
            throw error
        } catch {
            throw EdgeError(.io, "could not copy the image's GRUB \(platform) modules into \(scratch.path): \(error.localizedDescription)")
        }
        return copy.path
    }

    /// "i386-pc from the image (/usr/lib/grub/i386-pc)" for the progress line.
    public var summary: String { "\(platform) from \(origin.rawValue) (\(path))" }
}
