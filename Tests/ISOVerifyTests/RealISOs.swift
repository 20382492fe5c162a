import Foundation
import TestSupport

/// The real ISOs the tests inspect: two from Debian packages, three built here with the real tools
/// (once per test process, into a temp dir; nothing big is committed).
enum RealISOs {
    static let ipxe = URL(fileURLWithPath: "/usr/lib/ipxe/ipxe.iso")
    static let grubRescue = URL(fileURLWithPath: "/usr/lib/grub-rescue/grub-rescue-cdrom.iso")

    /// grub-mkrescue: GPT + APM hybrid with an EFI system partition (TestSupport's builder).
    static var mkrescue: URL { get throws { try mkrescueResult.get() } }
    private static let mkrescueResult: Result<URL, Error> = Result {
        URL(fileURLWithPath: try InstallerImages.grubRescueHybrid(in: try built))
    }
    /// Built the way Kairos builds installers (unlike TestSupport.InstallerImages.kairosStyle, with
    /// a real GRUB EFI binary in the ESP and the UEFI El Torito entry AuroraBoot adds): GRUB El Torito for BIOS, the ESP appended as GPT
    /// partition 2, partition_offset 16, MBR boot flag forced.
    static var kairos: URL { get throws { try built.appendingPathComponent("kairos.iso") } }
    /// `xorriso -as mkisofs` with El Torito but no hybrid MBR: optical-only (InstallerImages.plainISO
    /// has no El Torito at all, so it is "not bootable" rather than optical-only).
    static var plain: URL { get throws { try built.appendingPathComponent("plain.iso") } }

    static var all: [URL] { get throws { [ipxe, grubRescue, try mkrescue, try kairos, try plain] } }

    private static let buildResult: Result<URL, Error> = Result {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-isos")
        try Shell.bash("""
            cd '\(dir.path)'
            mkdir -p kroot/boot/grub/i386-pc && echo hi > kroot/x.txt
            grub-mkimage -O i386-pc-eltorito -o kroot/boot/grub/i386-pc/eltorito.img -p /boot/grub biosdisk iso9660 normal configfile
            truncate -s 4M efi.img && mkfs.fat -n EFI efi.img >/dev/null
            grub-mkimage -O x86_64-efi -o bootx64.efi -p /EFI/BOOT normal configfile fat part_gpt iso9660
            mmd -i efi.img ::EFI ::EFI/BOOT && mcopy -i efi.img bootx64.efi ::EFI/BOOT/BOOTX64.EFI
            xorriso -as mkisofs -V COS_LIVE -J -R -iso-level 3 \
              -b boot/grub/i386-pc/eltorito.img -no-emul-boot -boot-load-size 4 -boot-info-table \
              --grub2-boot-info --grub2-mbr /usr/lib/grub/i386-pc/boot_hybrid.img \
              -append_partition 2 0xef efi.img -appended_part_as_gpt -partition_offset 16 --mbr-force-bootable \
              -eltorito-alt-boot -e --interval:appended_partition_2:all:: -no-emul-boot \
              -o kairos.iso kroot >/dev/null 2>&1
            xorriso -as mkisofs -V PLAIN -J -R -b boot/grub/i386-pc/eltorito.img -no-emul-boot \
              -boot-load-size 4 -boot-info-table -o plain.iso kroot >/dev/null 2>&1
            """)
        return dir
    }

    private static var built: URL { get throws { try buildResult.get() } }

    /// xorriso's own reading of the El Torito catalog and system area, to cross-check ours.
    static func xorrisoReport(_ iso: URL) throws -> [String] {
        try Shell.bash("xorriso -indev '\(iso.path)' -report_el_torito plain -report_system_area plain 2>/dev/null")
            .split(separator: "\n").map(String.init)
    }

    /// Rows of a xorriso report whose label starts with `label` (e.g. "El Torito boot img"),
    /// split into their columns after the colon.
    static func rows(_ report: [String], _ label: String) -> [[String]] {
        report.filter { $0.hasPrefix(label) }.compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return line[line.index(after: colon)...].split(separator: " ").map(String.init)
        }
    }
}
