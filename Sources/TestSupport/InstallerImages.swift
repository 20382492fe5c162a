import Foundation

/// Installer-shaped ISOs made with the real tools, in the layouts edgeflash must handle. Each call
/// builds into `directory` and returns the image's path.
public enum InstallerImages {
    /// The isolinux MBR isohybrid from Debian's ipxe package: partition 1 starts at LBA 0.
    public static let ipxe = "/usr/lib/ipxe/ipxe.iso"

    /// A grub-mkrescue hybrid: GPT + APM + HFS gap partitions, protective MBR.
    public static func grubRescueHybrid(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("grub-hybrid.iso").path
        try Shell.bash("""
            root=$(mktemp -d); mkdir -p "$root/boot"; echo hello > "$root/hello"
            grub-mkrescue -o '\(path)' "$root" >/dev/null 2>&1; rm -rf "$root"
            """)
        return path
    }

    /// Kairos/AuroraBoot style: xorriso, volume COS_LIVE, GRUB El Torito, the ESP appended as GPT
    /// partition 2, `-partition_offset 16`, MBR boot flag forced on.
    public static func kairosStyle(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("kairos-style.iso").path
        try Shell.bash("""
            work=$(mktemp -d); mkdir -p "$work/root/boot"
            grub-mkimage -O i386-pc-eltorito -o "$work/root/boot/eltorito.img" -p /boot/grub biosdisk iso9660
            mkfs.fat -C "$work/efi.img" 4096 >/dev/null
            xorriso -as mkisofs -V COS_LIVE -J -R -o '\(path)' -b boot/eltorito.img -no-emul-boot \
              -boot-load-size 4 -boot-info-table --grub2-boot-info \
              --grub2-mbr /usr/lib/grub/i386-pc/boot_hybrid.img \
              -append_partition 2 0xef "$work/efi.img" -appended_part_as_gpt -partition_offset 16 \
              --mbr-force-bootable "$work/root" >/dev/null 2>&1
            rm -rf "$work"
            """)
        return path
    }

    /// A plain ISO9660 image with no partition table at all.
    public static func plainISO(in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("plain.iso").path
        try Shell.bash("""
            root=$(mktemp -d); echo hello > "$root/hello"
            xorriso -as mkisofs -V PLAIN -o '\(path)' "$root" >/dev/null 2>&1; rm -rf "$root"
            """)
        return path
    }
}
