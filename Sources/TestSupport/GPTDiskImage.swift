import Foundation

/// A 64 MiB GPT disk image (not an installer ISO) as CanvOS's raw images are made: sgdisk's table
/// for 512- or 4096-byte logical sectors, an EFI system partition (20 MiB, FAT) and a Linux one
/// (ext4) to the image's last usable sector, both filesystems made at their offsets.
public struct GPTDiskImage: Sendable {
    public typealias Extent = (first: Int, last: Int)

    public let sectorSize: Int
    /// The image's length in its sectors.
    public let sectors: Int
    public let fat: Extent
    public let ext4: Extent

    public static let classic = GPTDiskImage(sectorSize: 512, sectors: 131_072, fat: (2048, 43_007), ext4: (43_008, 131_038))
    /// For a 4Kn disk: the header at byte 4096, 4 sectors of entries from LBA 2, usable from 6.
    public static let fourK = GPTDiskImage(sectorSize: 4096, sectors: 16_384, fat: (256, 5375), ext4: (5376, 16_378))

    public var bytes: Int64 { Int64(sectors) * Int64(sectorSize) }

    /// The image, written to `dir/name`: the table made through a loop device with the image's
    /// sector size (sgdisk takes a file's sectors to be 512 bytes), the filesystems through loop
    /// devices limited to each partition.
    public func make(in dir: URL, name: String = "disk.img") throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Shell.bash("""
            set -e
            truncate -s \(bytes) '\(path)'
            l=$(losetup -f --show --sector-size \(sectorSize) '\(path)'); blockdev --setrw "$l"
            sgdisk -o -n1:\(fat.first):\(fat.last) -t1:ef00 -n2:\(ext4.first):\(ext4.last) -t2:8300 "$l" >/dev/null 2>&1 || { losetup -d "$l"; exit 1; }
            losetup -d "$l"
            l=$(losetup -f --show \(window(fat)) '\(path)')
            mkfs.vfat -n EFI "$l" >/dev/null; losetup -d "$l"
            l=$(losetup -f --show \(window(ext4)) '\(path)')
            mkfs.ext4 -q -F -L root "$l"; losetup -d "$l"
            """)
        return path
    }

    /// Whether `check` (an fsck command line without the device) passes on the partition `extent`
    /// of the file `backing`, read through a read-only loop device limited to it.
    public func fsckClean(_ backing: URL, _ extent: Extent, _ check: String) throws -> Bool {
        let loop = try Shell.bash("losetup -f --show -r \(window(extent)) '\(backing.path)'")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? Shell.run("losetup", ["-d", loop]) }
        return try Shell.run("/bin/sh", ["-c", "\(check) \(loop)"]).succeeded
    }

    /// Both filesystems of the image, as a disk backed by `backing` holds them.
    public func filesystemsClean(_ backing: URL) throws -> (fat: Bool, ext4: Bool) {
        (try fsckClean(backing, fat, "fsck.vfat -n"), try fsckClean(backing, ext4, "e2fsck -fn"))
    }

    /// losetup's offset and size limit for a partition.
    private func window(_ extent: Extent) -> String {
        "-o \(extent.first * sectorSize) --sizelimit \((extent.last - extent.first + 1) * sectorSize)"
    }
}
