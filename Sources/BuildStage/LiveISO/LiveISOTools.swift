import EdgeCore

/// The tools the live ISO is made with, found on PATH, or one error naming every missing tool and
/// the Debian package that has it.
public struct LiveISOTools: Sendable {
    public var xorriso: String
    public var mksquashfs: String
    public var grubMkimage: String
    public var mkfsFat: String
    public var mmd: String
    public var mcopy: String

    public static func locate() throws -> LiveISOTools {
        let wanted = [("xorriso", "xorriso"), ("mksquashfs", "squashfs-tools"), ("grub-mkimage", "grub-common"),
                      ("mkfs.fat", "dosfstools"), ("mmd", "mtools"), ("mcopy", "mtools")]
        var found: [String: String] = [:]
        var missing: [(String, String)] = []
        for (tool, package) in wanted {
            if let path = ChildProcess.find(tool) ?? ChildProcess.find(tool, path: "/usr/sbin:/sbin") { found[tool] = path } else { missing.append((tool, package)) }
        }
        guard missing.isEmpty else {
            let packages = Array(Set(missing.map(\.1))).sorted().joined(separator: " ")
            throw EdgeError(.unavailable, "cannot build the ISO: " + missing.map(\.0).joined(separator: ", ") + " not installed",
                            hint: "install them (Debian/Ubuntu: apt-get install \(packages)) and run again")
        }
        return LiveISOTools(xorriso: found["xorriso"]!, mksquashfs: found["mksquashfs"]!, grubMkimage: found["grub-mkimage"]!,
                            mkfsFat: found["mkfs.fat"]!, mmd: found["mmd"]!, mcopy: found["mcopy"]!)
    }
}
