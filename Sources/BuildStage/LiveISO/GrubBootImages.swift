import EdgeCore
import Foundation

/// GRUB's boot images for the live ISO, made with grub-mkimage from the located modules, each with
/// `LiveGrubConfig.embedded` built in and every module the menus use, so nothing is loaded from
/// the ISO at boot: the BIOS El Torito image (`i386-pc-eltorito`: cdboot + core) with GRUB's hybrid
/// MBR beside it, and the UEFI loader that goes into the EFI system partition.
struct GrubBootImages {
    /// The El Torito image and the hybrid MBR; nil for a UEFI-only ISO.
    var bios: (eltorito: URL, hybridMBR: URL)?
    var efiLoader: URL

    /// What the menus need: the ISO and the ESP, the kernel, CanvOS's menu commands, and the
    /// firmware's disk and video access. Modules a platform lacks are left out.
    static let modules = ["part_gpt", "part_msdos", "iso9660", "fat", "ext2", "linux", "normal", "search",
                          "search_fs_file", "search_fs_uuid", "search_label", "configfile", "echo", "test", "true",
                          "gzio", "ls", "loadenv", "font", "gfxterm", "gfxmenu", "all_video", "gettext", "chain",
                          "boot", "smbios", "biosdisk", "vga", "vbe", "efi_gop", "efi_uga"]

    static func make(_ grub: [GrubModules], imageRoot: ImageRoot, architecture: LiveISOArchitecture, grubMkimage: String,
                     in scratch: URL, interrupt: StagingInterrupt) throws -> GrubBootImages {
        let config = scratch.appendingPathComponent("embedded.cfg")
        try Data(LiveGrubConfig.embedded.utf8).write(to: config)
        var images = GrubBootImages(efiLoader: scratch.appendingPathComponent(architecture.efiLoaderName))
        for modules in grub {
            let bios = modules.platform == architecture.biosPlatform
            let output = bios ? scratch.appendingPathComponent("eltorito.img") : images.efiLoader
            let format = bios ? "i386-pc-eltorito" : modules.platform
            let directory = try modules.readable(imageRoot: imageRoot, in: scratch)
            let arguments = ["-O", format, "-d", directory, "-p", "/boot/grub2", "-c", config.path, "-o", output.path]
                + Self.modules.filter { FileManager.default.fileExists(atPath: "\(directory)/\($0).mod") }
            let run = try interrupt.run { try ChildProcess.run(grubMkimage, arguments, started: $0) }
            guard run.succeeded else {
                throw EdgeError(.failure, "grub-mkimage failed to make the \(modules.platform) boot image from \(modules.path) (\(run.outcome)): "
                                          + ISOToolFailure.lines(run.stderr),
                                hint: "nothing was written; check the GRUB modules, or give other ones with --grub-dir")
            }
            if bios {
                // A copy of the MBR in scratch: the ISO holds a regular file, never a link.
                let hybridMBR = scratch.appendingPathComponent("boot_hybrid.img")
                do {
                    try Data(contentsOf: URL(fileURLWithPath: directory + "/boot_hybrid.img")).write(to: hybridMBR)
                } catch {
                    throw EdgeError(.io, "could not copy GRUB's hybrid MBR from \(directory): \(error.localizedDescription)")
                }
                images.bios = (output, hybridMBR)
            }
        }
        return images
    }
}
