import EdgeCore
import Foundation
import Testing
import TestSupport
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
        var imageFile: FileIdentity?
        var unmount = false
        var force = false
        var edit: @Sendable (inout [Disk]) -> Void = { _ in }
        var editMounts: @Sendable (inout [MountEntry]) -> Void = { _ in }
        var swaps: [SwapEntry] = []
        var reports: [String: BlkidReport] = [:]
        var sequenceLink: DiskSequenceLink?
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
        // A by-diskseq link whose disk is gone, pointing at the stick plugged in since: refused
        // before anything about the stick (which would be allowed) is weighed.
        Case(name: "stale by-diskseq link", fixture: "laptop", device: "/dev/disk/by-diskseq/17", target: block(8, 16),
             sequenceLink: DiskSequenceLink(named: 17, current: 23), reason: .staleLink,
             message: "/dev/disk/by-diskseq/17 is a stale link: it names disk sequence 17, but /dev/sdb, which it points to, is disk sequence 23: another disk than the one the link was made for",
             hint: "name the disk by its /dev/disk/by-id link or its device name (see 'edgeflash list --all'); no flag overrides this"),
        Case(name: "by-diskseq link to a device without a diskseq", fixture: "laptop", device: "/dev/disk/by-diskseq/17", target: block(8, 16),
             sequenceLink: DiskSequenceLink(named: 17, current: nil), reason: .staleLink,
             message: "/dev/disk/by-diskseq/17 names disk sequence 17, but /dev/sdb, which it points to, states none: it cannot be told to be the disk the link was made for"),
    ]

    /// loop-root's backing files live on 8:1 (backing-files): disk0.img (inode 1201) backs loop0,
    /// which holds /. Each case reaches a protected file or disk through another path or device.
    static let aliases: [Case] = [
        Case(name: "second loop over the system loop's file, by another path", fixture: "loop-root",
             device: "/dev/loop1", target: block(7, 1),
             edit: { backing(&$0, "loop1", "/srv/link/disk0.img", inode: 1201) },
             reason: .aliasOfProtected,
             message: "/dev/loop1 writes to /srv/link/disk0.img, the same file as /var/lib/images/disk0.img, the backing file of /dev/loop0; /dev/loop0 holds /",
             hint: "writing it would destroy the running system on /dev/loop0; no flag overrides this"),
        Case(name: "second loop over a mounted loop's file", fixture: "loop-root", device: "/dev/loop4", target: block(7, 4),
             edit: { disks in
                 disks.append(loop(4, "/var/lib/images/./disk1.img", inode: 1202))
                 disks[disks.firstIndex { $0.name == "loop1" }!].mountpoints = ["/mnt/data"]
             },
             reason: .aliasOfProtected,
             message: "/dev/loop4 writes to /var/lib/images/./disk1.img, the same file as /var/lib/images/disk1.img, the backing file of /dev/loop1; /dev/loop1 is mounted at /mnt/data",
             hint: "the filesystem mounted at /mnt/data; no flag overrides this"),
        Case(name: "loop over the image through a hard link", fixture: "loop-root", device: "/dev/loop1", target: block(7, 1),
             imageFile: FileIdentity(device: DeviceNumber(major: 8, minor: 1), inode: 1300),
             edit: { backing(&$0, "loop1", "/mnt/bind/palette.iso", inode: 1300) },
             reason: .aliasOfProtected,
             message: "/dev/loop1 writes to /mnt/bind/palette.iso, the same file as /srv/palette-edge-installer.iso, the image itself",
             hint: "writing it would destroy the image /srv/palette-edge-installer.iso; no flag overrides this"),
        Case(name: "loop whose filesystem holds the system loop's backing file", fixture: "loop-root",
             device: "/dev/loop1", target: block(7, 1),
             edit: { backing(&$0, "loop0", "/var/lib/images/disk0.img", inode: 1201, on: DeviceNumber(major: 7, minor: 1)) },
             reason: .aliasOfProtected,
             message: "/dev/loop1 is the disk whose filesystem holds /var/lib/images/disk0.img, the backing file of /dev/loop0; /dev/loop0 holds /",
             hint: "the running system on /dev/loop0"),
        Case(name: "loop over the file of a loop whose filesystem holds the system loop's file (a chain)",
             fixture: "loop-root", device: "/dev/loop4", target: block(7, 4),
             edit: { disks in
                 backing(&disks, "loop0", "/var/lib/images/disk0.img", inode: 1201, on: DeviceNumber(major: 7, minor: 1))
                 disks.append(loop(4, "/var/lib/images/disk1.img", inode: 1202))
             },
             reason: .aliasOfProtected,
             message: "/dev/loop4 writes to /var/lib/images/disk1.img, the backing file of /dev/loop1, the disk whose filesystem holds /var/lib/images/disk0.img, the backing file of /dev/loop0; /dev/loop0 holds /",
             hint: "no flag overrides this"),
        Case(name: "dm device over a loop that aliases the system loop", fixture: "loop-root", device: "/dev/dm-3",
             target: block(253, 3),
             edit: { disks in
                 var under = loop(4, "/srv/x/disk0.img", inode: 1201)
                 under.holders = ["dm-3"]
                 disks += [under, Disk(path: "/dev/dm-3", name: "dm-3", devNumber: DeviceNumber(major: 253, minor: 3),
                                       size: 1 << 30, transport: "dm")]
             },
             reason: .aliasOfProtected,
             message: "/dev/dm-3 writes to /srv/x/disk0.img (through /dev/loop4), the same file as /var/lib/images/disk0.img, the backing file of /dev/loop0; /dev/loop0 holds /",
             hint: "no flag overrides this"),
        Case(name: "loop over an active swap file, by another path", fixture: "loop-root", device: "/dev/loop4",
             target: block(7, 4),
             edit: { $0.append(loop(4, "/srv/link/swapfile", inode: 1400)) },
             swaps: [SwapEntry(path: "/var/swapfile", device: DeviceNumber(major: 8, minor: 1),
                               file: FileIdentity(device: DeviceNumber(major: 8, minor: 1), inode: 1400))],
             reason: .aliasOfProtected,
             message: "/dev/loop4 writes to /srv/link/swapfile, the same file as /var/swapfile, an active swap file",
             hint: "writing it would destroy the active swap file /var/swapfile; no flag overrides this"),
    ]

    /// A loop device over `path` (a file with `inode` on 8:1), attached as /dev/loopN.
    static func loop(_ number: UInt32, _ path: String, inode: UInt64) -> Disk {
        Disk(path: "/dev/loop\(number)", name: "loop\(number)", devNumber: DeviceNumber(major: 7, minor: number),
             size: 1 << 30, transport: "loop", backingFile: path,
             backingFileIdentity: FileIdentity(device: DeviceNumber(major: 8, minor: 1), inode: inode))
    }

    /// Attaches the recorded `name` to another file: `path`, `inode` on `device` (8:1 unless told).
    static func backing(_ disks: inout [Disk], _ name: String, _ path: String, inode: UInt64,
                        on device: DeviceNumber = DeviceNumber(major: 8, minor: 1)) {
        let index = disks.firstIndex { $0.name == name }!
        disks[index].backingFile = path
        disks[index].backingFileIdentity = FileIdentity(device: device, inode: inode)
    }

    static func facts(for c: Case) throws -> TargetFacts {
        var snapshot = try InventoryFixtures.snapshot(c.fixture)
        c.editMounts(&snapshot.mounts)
        var disks = Inventory.disks(from: snapshot) { path, offset, _ in c.reports["\(path)@\(offset)"] }
        c.edit(&disks)
        return TargetFacts(disks: disks, mounts: snapshot.mounts, swaps: snapshot.swaps + c.swaps, target: c.target, imageDevice: c.imageDevice,
                           imageFile: c.imageFile, sequenceLink: c.sequenceLink)
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

    @Test(arguments: aliases)
    func refusesAliases(_ c: Case) throws {
        let facts = try Self.facts(for: c)
        let refused: Bool
        defer { ReliabilityLedger.record("alias of a protected disk", c.name, refused ? .caught : .missed) }
        do throws(TargetRefusal) {
            let decision = try TargetPolicy.evaluate(Self.request(for: c), facts: facts)
            refused = false
            Issue.record("expected a refusal, got \(decision)")
        } catch {
            refused = error.reason == c.reason
            #expect(error.reason == c.reason)
            #expect(error.message == c.message)
            #expect(error.hint?.contains(c.hint ?? "") == true, "\(error.hint ?? "no hint")")
            #expect(error.exitStatus == .refused)
        }
    }

    @Test func loopOverAnUnrelatedFileIsAllowed() throws {
        let c = Case(name: "ok", fixture: "loop-root", device: "/dev/loop4", target: Self.block(7, 4),
                     imageFile: FileIdentity(device: DeviceNumber(major: 8, minor: 1), inode: 1300),
                     edit: { $0.append(Self.loop(4, "/var/lib/images/disk0-copy.img", inode: 1999)) },
                     reason: .missing, message: "")
        let decision = try TargetPolicy.evaluate(Self.request(for: c), facts: try Self.facts(for: c))
        guard case .allowed(let disk) = decision else { Issue.record("expected allowed, got \(decision)"); return }
        #expect(disk.name == "loop4")
    }

    @Test func listAndThePlugTimeRuleDoNotOfferAnAlias() throws {
        var snapshot = try InventoryFixtures.snapshot("loop-root")
        let loop1 = snapshot.devices.firstIndex { $0.name == "loop1" }!
        snapshot.devices[loop1].backingFile = "/srv/link/disk0.img"
        snapshot.devices[loop1].backingFileIdentity = FileIdentity(device: DeviceNumber(major: 8, minor: 1), inode: 1201)
        let listed = Inventory.disks(from: snapshot) { _, _, _ in nil }.first { $0.name == "loop1" }
        let reason = "alias of a protected disk: it writes to /srv/link/disk0.img, the same file as /var/lib/images/disk0.img, the backing file of /dev/loop0; /dev/loop0 holds /"
        #expect(listed?.notCandidateReason == reason)
        #expect(Inventory.notOfferedAtPlugTime(name: "loop1", in: snapshot) == reason)
        // With its own file again, loop1 is only a loop device.
        #expect(Inventory.notOfferedAtPlugTime(name: "loop1", in: try InventoryFixtures.snapshot("loop-root"))
                == "loop device (a file-backed virtual disk)")
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

    /// --expect-serial and --expect-size: the stick by its own serial and size is allowed; any
    /// other serial or size is refused first, whatever else is true of the disk.
    @Test func expectedSerialAndSizeAllowOnlyThatDisk() throws {
        let c = Case(name: "ok", fixture: "laptop", device: "/dev/sdb", target: Self.block(8, 16), reason: .missing, message: "")
        let facts = try Self.facts(for: c)
        let size = try #require(facts.disks.first { $0.name == "sdb" }).size
        func evaluate(_ expectation: DiskExpectation) throws(TargetRefusal) -> TargetPolicy.Decision {
            var request = Self.request(for: c)
            request.expectation = expectation
            return try TargetPolicy.evaluate(request, facts: facts)
        }
        guard case .allowed = try evaluate(DiskExpectation(serial: "4C530001230925117291", size: size)) else {
            Issue.record("expected the stick to be allowed")
            return
        }
        for (expectation, message) in [(DiskExpectation(serial: "4C530001230925117292"), "/dev/sdb has serial 4C530001230925117291, not the expected 4C530001230925117292 (--expect-serial)"),
                                       (DiskExpectation(size: size + 512), "/dev/sdb is \(size) bytes (\(ByteCount.human(size))), not the expected \(size + 512) bytes (--expect-size)")] {
            do throws(TargetRefusal) {
                _ = try evaluate(expectation)
                Issue.record("expected a refusal for \(expectation)")
            } catch {
                #expect(error.reason == .notExpected)
                #expect(error.message == message)
                #expect(error.exitStatus == .refused)
            }
        }
    }

    /// A station's stick is the disk it saw arrive, down to the instance (diskseq): the same disk
    /// is allowed; another at the same name is refused in the station's words, never naming the
    /// --expect-* options the user did not give.
    @Test func aStickIsWrittenOnlyAsTheDiskThatArrived() throws {
        let c = Case(name: "ok", fixture: "laptop", device: "/dev/sdb", target: Self.block(8, 16), reason: .missing, message: "")
        var facts = try Self.facts(for: c)
        let index = try #require(facts.disks.firstIndex { $0.name == "sdb" })
        facts.disks[index].diskSequence = 41
        let arrived = facts.disks[index]
        func evaluate(_ now: Disk) throws(TargetRefusal) -> TargetPolicy.Decision {
            var request = Self.request(for: c)
            request.expectation = .arrived(arrived)
            var changed = facts
            changed.disks[index] = now
            return try TargetPolicy.evaluate(request, facts: changed)
        }
        guard case .allowed = try evaluate(arrived) else {
            Issue.record("expected the stick that arrived to be allowed")
            return
        }
        // Numbered again with its serial and size unchanged: the same stick after a reset.
        var reset = arrived
        reset.diskSequence = 43
        guard case .allowed = try evaluate(reset) else {
            Issue.record("expected the stick numbered again after a reset to be allowed")
            return
        }
        // Without a serial, its number is all that tells it from another stick.
        var swapped = arrived, otherSerial = arrived
        swapped.diskSequence = 42
        swapped.serial = nil
        otherSerial.serial = "0000XYZ"
        var noSerialArrival = arrived
        noSerialArrival.serial = nil
        func evaluate(_ now: Disk, arrived: Disk) throws(TargetRefusal) -> TargetPolicy.Decision {
            var request = Self.request(for: c)
            request.expectation = .arrived(arrived)
            var changed = facts
            changed.disks[index] = now
            return try TargetPolicy.evaluate(request, facts: changed)
        }
        do throws(TargetRefusal) {
            _ = try evaluate(swapped, arrived: noSerialArrival)
            Issue.record("expected a refusal for another stick without a serial")
        } catch {
            #expect(error.message == "/dev/sdb changed since the stick arrived: it is disk sequence 42, not disk sequence 41; not written")
        }
        for (now, message) in [
                               (otherSerial, "/dev/sdb changed since the stick arrived: it has serial 0000XYZ, not 4C530001230925117291; not written")] {
            do throws(TargetRefusal) {
                _ = try evaluate(now)
                Issue.record("expected a refusal for \(now)")
            } catch {
                #expect(error.reason == .notExpected && error.exitStatus == .refused)
                #expect(error.message == message)
                #expect(!error.message.contains("--expect") && error.hint?.contains("--expect") == false)
            }
        }
    }

    /// A by-diskseq link is known by its shape; one that still names its disk is the disk.
    @Test func aCurrentDiskSequenceLinkIsTheDisk() throws {
        #expect(DiskSequenceLink.sequence(named: "/dev/disk/by-diskseq/17") == 17)
        #expect(DiskSequenceLink.sequence(named: "/tmp/copy/by-diskseq/9") == 9)
        #expect(DiskSequenceLink.sequence(named: "/dev/disk/by-diskseq/17-part1") == nil)
        #expect(DiskSequenceLink.sequence(named: "/dev/disk/by-id/17") == nil)
        #expect(DiskSequenceLink.sequence(named: "17") == nil)
        var c = Case(name: "ok", fixture: "laptop", device: "/dev/disk/by-diskseq/23", target: Self.block(8, 16), reason: .missing, message: "")
        c.sequenceLink = DiskSequenceLink(named: 23, current: 23)
        guard case .allowed(let disk) = try TargetPolicy.evaluate(Self.request(for: c), facts: try Self.facts(for: c)) else {
            Issue.record("expected the stick to be allowed")
            return
        }
        #expect(disk.path == "/dev/sdb")
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
