import Foundation
import Testing
@testable import DiskOps

/// Every refusal of the write policy, fed with recorded machines (Fixtures/) and stat results:
/// no real disk is ever aimed at.
@Suite struct SafetyPolicyTests {
    static let gigabyte: Int64 = 1_000_000_000
    static let rootDev = DeviceNumber(major: 254, minor: 0)

    static func block(_ major: UInt32, _ minor: UInt32) -> FileStatus {
        FileStatus(kind: .blockDevice, residesOn: DeviceNumber(major: 0, minor: 6), rawDevice: DeviceNumber(major: major, minor: minor))
    }

    /// A loop0 whose GPT libblkid read (no kernel partition nodes), as on this machine.
    static let loopWithTable = ["/dev/loop0@0": BlkidReport(partitionTable: "gpt",
                                                            partitions: [.init(number: 1, start: 1 << 20, size: 8 << 20)])]

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var fixture: String
        var device: String
        var target: FileStatus?
        var imageSize: Int64 = 1 << 20
        var imageDevice: DeviceNumber? = rootDev
        var unmount = false
        var force = false
        var edit: @Sendable (inout [Disk]) -> Void = { _ in }
        var editMounts: @Sendable (inout [MountEntry]) -> Void = { _ in }
        var reports: [String: BlkidReport] = [:]
        var reason: TargetRefusal.Reason
        var message: String
        var hint: String?
        var testDescription: String { name }
    }

    static let refusals: [Case] = [
        Case(name: "missing path", fixture: "laptop", device: "/dev/sdz", target: nil,
             reason: .missing, message: "/dev/sdz does not exist", hint: "edgeflash list"),
        Case(name: "regular file", fixture: "laptop", device: "/tmp/stick.img",
             target: FileStatus(kind: .regularFile, residesOn: rootDev),
             reason: .notBlockDevice, message: "/tmp/stick.img is a regular file, not a block device", hint: "whole disk"),
        Case(name: "character device", fixture: "laptop", device: "/dev/null",
             target: FileStatus(kind: .characterDevice, residesOn: rootDev, rawDevice: DeviceNumber(major: 1, minor: 3)),
             reason: .notBlockDevice, message: "/dev/null is a character device", hint: nil),
        Case(name: "partition with a node", fixture: "laptop", device: "/dev/sdb1", target: block(8, 17),
             reason: .partition, message: "/dev/sdb1 is partition 1 of /dev/sdb, not a whole disk",
             hint: "use the whole disk /dev/sdb"),
        Case(name: "partition reached through a symlink", fixture: "laptop", device: "/dev/disk/by-label/DATA",
             target: block(8, 17), reason: .partition, message: "partition 1 of /dev/sdb",
             hint: "use the whole disk /dev/sdb"),
        Case(name: "loop partition without a node", fixture: "laptop", device: "/dev/loop0p1", target: nil,
             reports: loopWithTable, reason: .partition, message: "/dev/loop0p1 is partition 1 of /dev/loop0",
             hint: "use the whole disk /dev/loop0"),
        Case(name: "block device outside /sys/block", fixture: "laptop", device: "/dev/odd", target: block(1, 1),
             reason: .unknownDevice, message: "is not a disk listed in /sys/block", hint: "--all"),
        Case(name: "loop device holding /", fixture: "loop-root", device: "/dev/loop0", target: block(7, 0),
             reason: .systemDisk, message: "/dev/loop0 is a system disk: it holds /", hint: "no flag overrides this"),
        Case(name: "loop device that is the active swap", fixture: "loop-root", device: "/dev/loop2", target: block(7, 2),
             reason: .systemDisk, message: "it holds an active swap", hint: "no flag overrides this"),
        Case(name: "partition mounted on /home, even with --unmount and --force", fixture: "loop-root",
             device: "/dev/loop3", target: block(7, 3), unmount: true, force: true,
             reason: .systemDisk, message: "it holds /home", hint: "no flag overrides this"),
        Case(name: "nvme below the LVM root", fixture: "laptop", device: "/dev/nvme0n1", target: block(259, 0),
             editMounts: { $0.removeAll { $0.mountpoint == "/boot/efi" } },
             reason: .systemDisk, message: "below dm-0, which holds /", hint: "no flag overrides this"),
        Case(name: "stick holding the image", fixture: "laptop", device: "/dev/sdb", target: block(8, 16),
             imageDevice: DeviceNumber(major: 8, minor: 17),
             reason: .holdsImage, message: "/dev/sdb holds the image", hint: "copy the image to another disk"),
        Case(name: "stick below the dm device holding the image", fixture: "laptop", device: "/dev/sdb",
             target: block(8, 16), imageDevice: DeviceNumber(major: 253, minor: 7),
             edit: { disks in
                 disks[disks.firstIndex { $0.name == "sdb" }!].holders = ["dm-7"]
                 disks.append(Disk(path: "/dev/dm-7", name: "dm-7", devNumber: DeviceNumber(major: 253, minor: 7),
                                   size: 1 << 30, transport: "dm"))
             },
             reason: .holdsImage, message: "/dev/sdb holds the image", hint: nil),
        Case(name: "image on btrfs (anonymous device) found through the mount source", fixture: "laptop",
             device: "/dev/sdb", target: block(8, 16), imageDevice: DeviceNumber(major: 0, minor: 52),
             editMounts: { $0.append(MountEntry(device: DeviceNumber(major: 0, minor: 52), mountpoint: "/mnt/b",
                                                fsType: "btrfs", source: "/dev/sdb1")) },
             reason: .holdsImage, message: "holds the image", hint: nil),
        Case(name: "write-protected card", fixture: "laptop", device: "/dev/sdb", target: block(8, 16),
             edit: { $0[$0.firstIndex { $0.name == "sdb" }!].readOnly = true },
             reason: .readOnly, message: "/dev/sdb is read-only", hint: "write-protect switch"),
        Case(name: "stick smaller than the image", fixture: "laptop", device: "/dev/sdb", target: block(8, 16),
             imageSize: 64 * gigabyte, force: true,
             reason: .tooSmall, message: "/dev/sdb is too small: 30.8 GB for an image of 64.0 GB", hint: "at least 64.0 GB"),
        Case(name: "stick under a dm-crypt mapping", fixture: "laptop", device: "/dev/sdb", target: block(8, 16),
             edit: { $0[$0.firstIndex { $0.name == "sdb" }!].holders = ["dm-3"] },
             reason: .heldByStack, message: "/dev/sdb is in use by dm-3", hint: "cryptsetup close"),
        Case(name: "card with a mounted partition", fixture: "laptop", device: "/dev/mmcblk0", target: block(179, 0),
             reason: .mounted, message: "/dev/mmcblk0 is mounted at /media/sd card", hint: "pass --unmount"),
        Case(name: "internal SATA data disk", fixture: "laptop", device: "/dev/sda", target: block(8, 0),
             editMounts: { $0.removeAll { $0.mountpoint == "/srv/data" } },
             reason: .notCandidate, message: "/dev/sda is not a drive edgeflash offers: fixed disk", hint: "pass --force"),
        Case(name: "device-mapper device", fixture: "laptop", device: "/dev/dm-0", target: block(253, 0),
             editMounts: { $0.removeAll { $0.mountpoint == "/" } },
             reason: .notCandidate, message: "virtual device (dm)", hint: "pass --force"),
    ]

    static func facts(for c: Case) throws -> TargetFacts {
        var snapshot = try InventoryFixtures.snapshot(c.fixture)
        c.editMounts(&snapshot.mounts)
        var disks = Inventory.disks(from: snapshot) { path, offset, _ in c.reports["\(path)@\(offset)"] }
        c.edit(&disks)
        return TargetFacts(disks: disks, mounts: snapshot.mounts, target: c.target, imageDevice: c.imageDevice)
    }

    static func request(for c: Case) -> TargetRequest {
        TargetRequest(imagePath: "/srv/palette-edge-installer.iso", imageSize: c.imageSize, devicePath: c.device,
                      unmount: c.unmount, force: c.force)
    }

    @Test(arguments: refusals)
    func refuses(_ c: Case) throws {
        let error = #expect(throws: TargetRefusal.self) {
            try TargetPolicy.evaluate(Self.request(for: c), facts: try Self.facts(for: c))
        }
        let refusal = try #require(error)
        #expect(refusal.reason == c.reason)
        #expect(refusal.message.contains(c.message), "\(refusal.message)")
        if let hint = c.hint { #expect(refusal.hint?.contains(hint) == true, "\(refusal.hint ?? "no hint")") }
        #expect(refusal.exitStatus == .refused)
    }

    @Test func mountedCardWithUnmountAsksToUnmountFirst() throws {
        var c = Self.refusals.first { $0.reason == .mounted }!
        c.unmount = true
        let decision = try TargetPolicy.evaluate(Self.request(for: c), facts: try Self.facts(for: c))
        guard case .unmountFirst(let disk, let mountpoints) = decision else {
            Issue.record("expected unmountFirst, got \(decision)")
            return
        }
        #expect(disk.path == "/dev/mmcblk0")
        #expect(mountpoints == ["/media/sd card"])
    }

    @Test func internalDiskIsAllowedWithForce() throws {
        var c = Self.refusals.first { $0.reason == .notCandidate }!
        c.force = true
        let decision = try TargetPolicy.evaluate(Self.request(for: c), facts: try Self.facts(for: c))
        #expect(decision == .allowed(try #require(try Self.facts(for: c).disks.first { $0.name == "sda" })))
    }

    @Test func fixedFlashUSBStickIsAllowed() throws {
        let c = Case(name: "ok", fixture: "laptop", device: "/dev/sdb", target: Self.block(8, 16),
                     reason: .missing, message: "")
        guard case .allowed(let disk) = try TargetPolicy.evaluate(Self.request(for: c), facts: try Self.facts(for: c)) else {
            Issue.record("expected the stick to be allowed")
            return
        }
        #expect(disk.serial == "4C530001230925117291")
    }

    @Test func freeLoopDeviceBesideALoopRootIsAllowed() throws {
        let c = Case(name: "ok", fixture: "loop-root", device: "/dev/loop1", target: Self.block(7, 1),
                     reason: .missing, message: "")
        let decision = try TargetPolicy.evaluate(Self.request(for: c), facts: try Self.facts(for: c))
        guard case .allowed(let disk) = decision else { Issue.record("expected allowed, got \(decision)"); return }
        #expect(disk.name == "loop1")
    }

    @Test func busyRefusalNamesHoldersMountsAndSwap() {
        var disk = Disk(path: "/dev/sdb", name: "sdb", size: 1 << 30, holders: ["dm-2"])
        disk.partitions = [Disk.Partition(path: "/dev/sdb1", name: "sdb1", number: 1, start: 0, size: 1,
                                          mountpoints: ["/media/stick"], hasDeviceNode: true)]
        let refusal = ExclusiveAccess.busyRefusal(devicePath: "/dev/sdb", disk: disk)
        #expect(refusal.reason == .busy)
        #expect(refusal.message == "/dev/sdb is busy: held by dm-2; mounted at /media/stick")
        let unknown = ExclusiveAccess.busyRefusal(devicePath: "/dev/sdb", disk: Disk(path: "/dev/sdb", name: "sdb", size: 1))
        #expect(unknown.message == "/dev/sdb is busy: another program has it open exclusively")
        #expect(unknown.hint?.contains("fuser") == true)
    }
}
