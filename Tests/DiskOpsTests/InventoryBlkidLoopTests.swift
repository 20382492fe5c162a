import Foundation
import Testing
import TestSupport
@testable import DiskOps

/// libblkid on real loop devices: tables written by sgdisk/sfdisk, volumes by mkfs.fat and
/// genisoimage at partition offsets (this kernel makes no partition nodes for loop devices).
@Suite(.serialized) struct InventoryBlkidLoopTests {
    static let mib: Int64 = 1 << 20

    /// A 128 MiB image: GPT (or MBR), partition 1 FAT32 "EFIBOOT" at 1 MiB (48 MiB),
    /// partition 2 an ISO 9660 volume "CIDATA" at 49 MiB (16 MiB).
    static func writeImage(_ image: URL, in dir: URL, table: String) throws {
        let iso = dir.appendingPathComponent("cidata.iso")
        let content = dir.appendingPathComponent("cidata")
        try FileManager.default.createDirectory(at: content, withIntermediateDirectories: true)
        try "#cloud-config\n".write(to: content.appendingPathComponent("user-data"), atomically: true, encoding: .utf8)
        let partitioning = table == "gpt"
            ? "sgdisk -n1:2048:+48M -t1:ef00 -c1:EFI -n2:100352:+16M -t2:8300 -c2:cidata '\(image.path)'"
            : "printf 'label: dos\\nstart=2048, size=98304, type=c\\nstart=100352, size=32768, type=83\\n' | sfdisk '\(image.path)'"
        try Shell.bash("""
            \(partitioning) >/dev/null
            mkfs.fat -F 32 -s 1 -n EFIBOOT --offset 2048 '\(image.path)' 49152 >/dev/null
            genisoimage -quiet -V CIDATA -J -R -o '\(iso.path)' '\(content.path)'
            dd if='\(iso.path)' of='\(image.path)' bs=1M seek=49 conv=notrunc status=none
            """)
    }

    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason), arguments: ["gpt", "dos"])
    func probesTableAndVolumesAtOffsets(table: String) throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Written through the backing file of a buffered loop device, then the device's cache dropped.
        let loop = try LoopDevice(size: 128 * Self.mib, directIO: false, directory: dir)
        defer { loop.detach() }
        let image = loop.backingFile
        try Self.writeImage(image, in: dir, table: table)
        try Shell.bash("blockdev --flushbufs \(loop.path)")

        let whole = try BlkidProbe.probe(path: loop.path)
        #expect(whole.partitionTable == table)
        #expect(whole.partitions.map(\.number) == [1, 2])
        #expect(whole.partitions.map(\.start) == [1 * Self.mib, 49 * Self.mib])
        #expect(whole.partitions.map(\.size) == [48 * Self.mib, 16 * Self.mib])
        #expect(whole.partitions[0].type == (table == "gpt" ? "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" : "0xc"))

        let fat = try BlkidProbe.probe(path: loop.path, offset: 1 * Self.mib, size: 48 * Self.mib)
        #expect(fat.type == "vfat")
        #expect(fat.label == "EFIBOOT")
        let iso = try BlkidProbe.probe(path: loop.path, offset: 49 * Self.mib, size: 16 * Self.mib)
        #expect(iso.type == "iso9660")
        #expect(iso.label == "CIDATA")

        // The inventory shows the same through /sys/block and libblkid, with no kernel nodes.
        let name = URL(fileURLWithPath: loop.path).lastPathComponent
        let disk = try #require(try Inventory.live().first { $0.name == name })
        #expect(disk.partitionTable == table)
        #expect(disk.size == 128 * Self.mib)
        #expect(disk.transport == "loop")
        #expect(disk.backingFile == image.path)
        #expect(disk.partitions.map(\.path) == ["\(loop.path)p1", "\(loop.path)p2"])
        #expect(disk.partitions.map(\.label) == ["EFIBOOT", "CIDATA"])
        #expect(disk.partitions.allSatisfy { !$0.hasDeviceNode })
    }

    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func missingDeviceIsATypedError() {
        #expect(throws: BlkidError(.open, path: "/dev/edgeflash-none", errno: .noSuchFileOrDirectory)) {
            try BlkidProbe.probe(path: "/dev/edgeflash-none")
        }
    }
}
