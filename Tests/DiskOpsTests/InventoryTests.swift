import EdgeCore
import Foundation
import Testing
@testable import DiskOps

@Suite struct InventoryTests {
    @Test func readsEveryDiskOfTheRecordedLaptopAndSkipsEmptyLoops() throws {
        let disks = try InventoryFixtures.disks("laptop")
        #expect(disks.map(\.name) == ["dm-0", "loop0", "mmcblk0", "nvme0n1", "sda", "sdb"])
    }

    @Test func fixedFlashUSBStickIsACandidateWithUSBIdentity() throws {
        let reports = ["/dev/sdb": BlkidReport(partitionTable: "dos",
                                               partitions: [.init(number: 1, start: 1 << 20, size: 60061696 * 512, type: "0xc")]),
                       "/dev/sdb@0": BlkidReport(partitionTable: "dos",
                                                 partitions: [.init(number: 1, start: 1 << 20, size: 60061696 * 512, type: "0xc")]),
                       "/dev/sdb@1048576": BlkidReport(type: "vfat", label: "KINGSTON", uuid: "1234-ABCD")]
        let stick = try #require(try InventoryFixtures.disks("laptop", reports: reports).first { $0.name == "sdb" })
        #expect(stick.removable == false)
        #expect(stick.transport == "usb")
        #expect(stick.hotplug)
        #expect(stick.vendor == "SanDisk")
        #expect(stick.model == "Ultra")
        #expect(stick.serial == "4C530001230925117291")
        #expect(stick.size == 60063744 * 512)
        #expect(stick.devNumber == DeviceNumber(major: 8, minor: 16))
        #expect(stick.partitionTable == "dos")
        #expect(stick.partitions.count == 1)
        #expect(stick.partitions[0].path == "/dev/sdb1")
        #expect(stick.partitions[0].hasDeviceNode)
        #expect(stick.partitions[0].type == "0xc")
        #expect(stick.partitions[0].label == "KINGSTON")
        #expect(stick.partitions[0].fsType == "vfat")
        #expect(stick.isCandidate)
    }

    @Test func nvmeUnderLVMRootIsASystemDisk() throws {
        let disks = try InventoryFixtures.disks("laptop")
        let nvme = try #require(disks.first { $0.name == "nvme0n1" })
        #expect(nvme.transport == "nvme")
        #expect(nvme.model == "Samsung SSD 980 PRO 1TB")
        #expect(nvme.serial == "S5GXNF0R123456")
        #expect(nvme.vendor == nil)
        #expect(nvme.isSystem)
        #expect(nvme.systemReason == "holds /boot/efi")
        #expect(nvme.holders == ["dm-0"])
        #expect(nvme.partitions.map(\.path) == ["/dev/nvme0n1p1", "/dev/nvme0n1p2"])
        #expect(nvme.partitions[0].mountpoints == ["/boot/efi"])
        #expect(nvme.notCandidateReason == "system disk: holds /boot/efi")

        let dm = try #require(disks.first { $0.name == "dm-0" })
        #expect(dm.transport == "dm")
        #expect(dm.mountpoints == ["/"])
        #expect(dm.isSystem)
    }

    @Test func aDiskBelowADeviceMapperRootIsSystemEvenWithoutOwnMounts() throws {
        var snapshot = try InventoryFixtures.snapshot("laptop")
        snapshot.mounts.removeAll { $0.mountpoint == "/boot/efi" }
        let nvme = try #require(Inventory.disks(from: snapshot) { _, _, _ in nil }.first { $0.name == "nvme0n1" })
        #expect(nvme.isSystem)
        #expect(nvme.systemReason == "below dm-0, which holds /")
    }

    @Test func sdCardIsACandidateAndItsMountWithASpaceIsDecoded() throws {
        let card = try #require(try InventoryFixtures.disks("laptop").first { $0.name == "mmcblk0" })
        #expect(card.transport == "mmc")
        #expect(card.model == "SD32G")
        #expect(card.serial == "0x1234abcd")
        #expect(card.partitions.first?.mountpoints == ["/media/sd card"])
        #expect(card.isSystem == false)
        #expect(card.isCandidate)
    }

    @Test func internalSataDataDiskIsNotOfferedAndSaysWhy() throws {
        let sata = try #require(try InventoryFixtures.disks("laptop").first { $0.name == "sda" })
        #expect(sata.transport == "sata")
        #expect(sata.vendor == "ATA")
        #expect(sata.model == "WDC WD20EZRZ-00Z")
        #expect(sata.physicalSectorSize == 4096)
        #expect(sata.isSystem == false)
        #expect(sata.notCandidateReason == "fixed disk: not removable, not hotplug, not on USB or MMC")
    }

    @Test func loopDeviceHasItsBackingFileAndIsOnlyListedWithAll() throws {
        let loop = try #require(try InventoryFixtures.disks("laptop").first { $0.name == "loop0" })
        #expect(loop.transport == "loop")
        #expect(loop.backingFile == "/var/tmp/stick.img")
        #expect(loop.size == 1 << 30)
        #expect(loop.notCandidateReason == "loop device (a file-backed virtual disk)")
    }

    @Test func partitionsComeFromLibblkidWhenTheKernelMadeNone() throws {
        let reports = ["/dev/loop0@0": BlkidReport(partitionTable: "gpt", partitions: [
                           .init(number: 1, start: 1 << 20, size: 64 << 20, type: "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"),
                           .init(number: 2, start: 65 << 20, size: 100 << 20)]),
                       "/dev/loop0@1048576": BlkidReport(type: "vfat", label: "EFI"),
                       "/dev/loop0@68157440": BlkidReport(type: "iso9660", label: "CIDATA")]
        let loop = try #require(try InventoryFixtures.disks("laptop", reports: reports).first { $0.name == "loop0" })
        #expect(loop.partitionTable == "gpt")
        #expect(loop.partitions.map(\.path) == ["/dev/loop0p1", "/dev/loop0p2"])
        #expect(loop.partitions.allSatisfy { !$0.hasDeviceNode })
        #expect(loop.partitions.map(\.label) == ["EFI", "CIDATA"])
        #expect(loop.partitions.map(\.fsType) == ["vfat", "iso9660"])
    }

    @Test func loopHoldingRootAndLoopSwapAreSystemDisks() throws {
        let disks = try InventoryFixtures.disks("loop-root")
        let byName = Dictionary(uniqueKeysWithValues: disks.map { ($0.name, $0) })
        #expect(byName["loop0"]?.systemReason == "holds /")
        #expect(byName["loop2"]?.systemReason == "holds an active swap")
        #expect(byName["loop3"]?.systemReason == "holds /home")
        #expect(byName["loop1"]?.isSystem == false)
    }

    @Test(arguments: [
        ("sdb", "../devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/host2/target2:0:0/2:0:0:0/block/sdb", "usb"),
        ("sdc", "../devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host3/target3:0:0/3:0:0:0/block/sdc", "usb"),
        ("sda", "../devices/pci0000:00/0000:00:17.0/ata3/host2/target2:0:0/2:0:0:0/block/sda", "sata"),
        ("nvme0n1", "../devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1", "nvme"),
        ("mmcblk0", "../devices/platform/fe320000.mmc/mmc_host/mmc1/mmc1:0001/block/mmcblk0", "mmc"),
        ("vda", "../devices/pci0000:00/0000:00:02.0/virtio1/block/vda", "virtio"),
        ("loop0", "../devices/virtual/block/loop0", "loop"),
        ("dm-0", "../devices/virtual/block/dm-0", "dm"),
        ("md127", "../devices/virtual/block/md127", "md"),
    ])
    func transportComesFromTheDevicePath(name: String, path: String, expected: String) {
        #expect(Transport.derive(name: name, devicePath: path) == expected)
    }

    @Test func eMMCBootAreasAreNotOffered() {
        let boot = Disk(path: "/dev/mmcblk0boot0", name: "mmcblk0boot0", size: 4 << 20, transport: "mmc", readOnly: true)
        #expect(Inventory.notCandidateReason(boot) == "eMMC boot or RPMB area (firmware, not a card)")
        let card = Disk(path: "/dev/mmcblk0", name: "mmcblk0", size: 32 << 30, transport: "mmc")
        #expect(Inventory.notCandidateReason(card) == nil)
    }

    @Test func partitionNamesFollowTheKernelRule() {
        #expect(Inventory.partitionName(disk: "sdb", number: 1) == "sdb1")
        #expect(Inventory.partitionName(disk: "loop0", number: 2) == "loop0p2")
        #expect(Inventory.partitionName(disk: "nvme0n1", number: 3) == "nvme0n1p3")
    }

    @Test func mountinfoAndSwapsParse() {
        let mounts = MountTable.parse("""
            27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
            36 27 8:17 / /media/my\\040stick rw shared:5 - vfat /dev/sdb1 rw
            garbage line
            """)
        #expect(mounts.count == 2)
        #expect(mounts[1] == MountEntry(device: DeviceNumber(major: 8, minor: 17), mountpoint: "/media/my stick",
                                         fsType: "vfat", source: "/dev/sdb1"))
        let swaps = SwapTable.parse("Filename\tType\tSize\tUsed\tPriority\n/dev/dm-1  partition\t100\t0\t-2\n/swap\\040file file 1 0 -3\n")
        #expect(swaps.map(\.path) == ["/dev/dm-1", "/swap file"])
    }

    @Test func jsonHasEveryKeyEvenWhenUnknown() throws {
        let disk = Disk(path: "/dev/loop9", name: "loop9", size: 512)
        let data = try JSONEncoder().encode(disk)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["path", "name", "dev", "size", "logicalSectorSize", "physicalSectorSize", "vendor", "model",
                    "serial", "transport", "removable", "hotplug", "readOnly", "partitionTable", "fsType", "label",
                    "uuid", "partitions", "mountpoints", "swap", "holders", "backingFile", "system",
                    "systemReason", "candidate", "notCandidateReason"] {
            #expect(object.keys.contains(key), "missing \(key)")
        }
        #expect(try JSONDecoder().decode(Disk.self, from: data) == disk)
    }

    @Test func byteCountsAreDecimal() {
        #expect(ByteCount.human(999) == "999 B")
        #expect(ByteCount.human(16_008_609_792) == "16.0 GB")
        #expect(ByteCount.human(1 << 30) == "1.1 GB")
    }
}
