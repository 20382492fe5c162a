import Foundation
import EdgeCore
import Testing
import TestSupport
@testable import DiskOps

/// TargetCheck against the real conditions on loop devices this test attaches (never the
/// machine's disks): mounted ext4, blockdev --setro, too small, partition paths, files, and the
/// disk that holds the image.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct SafetyLoopDeviceTests {
    static let mib: Int64 = 1 << 20

    /// Writing ipxe.iso (sized `imageSize`, 1 MiB by default) to `device`.
    func ipxeRequest(_ device: String, imageSize: Int64 = Self.mib, unmount: Bool = false, force: Bool = false) -> TargetRequest {
        TargetRequest(imagePath: "/usr/lib/ipxe/ipxe.iso", imageSize: imageSize, devicePath: device,
                      unmount: unmount, force: force)
    }

    func refusal(_ request: TargetRequest) throws -> TargetRefusal {
        let error = #expect(throws: TargetRefusal.self) { try TargetCheck.check(request) }
        return try #require(error)
    }

    func isMounted(_ dir: URL) throws -> Bool {
        try SystemSnapshot.live().mounts.contains { $0.mountpoint == dir.path }
    }

    @Test func freeLoopDeviceIsAllowed() throws {
        let loop = try LoopDevice(size: 32 * Self.mib)
        defer { loop.detach() }
        let disk = try TargetCheck.check(ipxeRequest(loop.path))
        #expect(disk.path == loop.path)
        #expect(disk.size == 32 * Self.mib)
        #expect(disk.transport == "loop")
    }

    @Test func mountedExt4IsRefusedAndUnmountUnmountsIt() throws {
        let loop = try LoopDevice(size: 32 * Self.mib)
        defer { loop.detach() }
        let ext4 = try MountedExt4(on: loop)
        defer { ext4.remove() }
        let mountpoint = ext4.mountpoint

        let request = ipxeRequest(loop.path)
        let refused = try refusal(request)
        #expect(refused.reason == .mounted)
        #expect(refused.message == "\(loop.path) is mounted at \(mountpoint.path)")
        #expect(refused.hint == "pass --unmount to unmount it first")

        // The kernel agrees: an exclusive open fails, and the refusal names the mount.
        let busy = #expect(throws: TargetRefusal.self) { try ExclusiveAccess.check(devicePath: loop.path) }
        #expect(busy?.reason == .busy)
        #expect(busy?.message.contains("mounted at \(mountpoint.path)") == true)

        var unmounting = request
        unmounting.unmount = true
        let disk = try TargetCheck.check(unmounting)
        #expect(disk.path == loop.path)
        #expect(disk.allMountpoints.isEmpty)
        #expect(try !isMounted(mountpoint))
        try ExclusiveAccess.check(devicePath: loop.path)
    }

    @Test func unmountThatFailsIsARefusal() throws {
        let loop = try LoopDevice(size: 32 * Self.mib)
        defer { loop.detach() }
        let ext4 = try MountedExt4(on: loop)
        defer { ext4.remove() }
        let mountpoint = ext4.mountpoint
        // An open file keeps the filesystem busy: umount(2) says EBUSY.
        let handle = try FileHandle(forWritingTo: {
            let file = mountpoint.appendingPathComponent("open")
            _ = FileManager.default.createFile(atPath: file.path, contents: Data("x".utf8))
            return file
        }())
        defer { try? handle.close() }

        let refused = try refusal(ipxeRequest(loop.path, unmount: true))
        #expect(refused.reason == .unmountFailed)
        #expect(refused.message.contains("could not unmount \(mountpoint.path)"))
        #expect(try isMounted(mountpoint))
    }

    @Test func readOnlyDeviceIsRefused() throws {
        let loop = try LoopDevice(size: 32 * Self.mib)
        defer { loop.detach() }
        try Shell.bash("blockdev --setro \(loop.path)")
        defer { _ = try? Shell.run("blockdev", ["--setrw", loop.path]) }
        let refused = try refusal(ipxeRequest(loop.path))
        #expect(refused.reason == .readOnly)
        #expect(refused.message == "\(loop.path) is read-only")
        #expect(refused.hint?.contains("write-protect switch") == true)
    }

    @Test func deviceSmallerThanTheImageIsRefused() throws {
        let loop = try LoopDevice(size: 8 * Self.mib)
        defer { loop.detach() }
        let refused = try refusal(ipxeRequest(loop.path, imageSize: 16 * Self.mib, force: true))
        #expect(refused.reason == .tooSmall)
        #expect(refused.message == "\(loop.path) is too small: 8.4 MB for an image of 16.8 MB (16777216 bytes)")
    }

    @Test func partitionPathIsRefusedWithTheWholeDisk() throws {
        let loop = try LoopDevice(size: 32 * Self.mib, directIO: false)
        defer { loop.detach() }
        try Shell.bash("sgdisk -n1:2048:+8M \(loop.backingFile.path) >/dev/null && blockdev --flushbufs \(loop.path)")
        let refused = try refusal(ipxeRequest("\(loop.path)p1"))
        #expect(refused.reason == .partition)
        #expect(refused.message == "\(loop.path)p1 is partition 1 of \(loop.path), not a whole disk")
        #expect(refused.hint == "use the whole disk \(loop.path)")
    }

    @Test func regularFileAndMissingPathAreRefused() throws {
        let loop = try LoopDevice(size: 8 * Self.mib)
        defer { loop.detach() }
        let file = try refusal(ipxeRequest(loop.backingFile.path))
        #expect(file.reason == .notBlockDevice)
        #expect(file.message == "\(loop.backingFile.path) is a regular file, not a block device")

        let missing = try refusal(ipxeRequest("/dev/edgeflash-no-such-disk"))
        #expect(missing.reason == .missing)
        #expect(missing.message == "/dev/edgeflash-no-such-disk does not exist")
    }

    @Test func diskHoldingTheImageIsRefused() throws {
        let loop = try LoopDevice(size: 64 * Self.mib)
        defer { loop.detach() }
        let ext4 = try MountedExt4(on: loop)
        defer { ext4.remove() }
        let mountpoint = ext4.mountpoint
        let image = mountpoint.appendingPathComponent("palette-edge-installer.iso")
        try FileManager.default.copyItem(atPath: "/usr/lib/ipxe/ipxe.iso", toPath: image.path)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: image.path)[.size] as? Int64)

        // Even with --unmount: unmounting would pull the image out from under the write.
        let refused = try refusal(TargetRequest(imagePath: image.path, imageSize: size, devicePath: loop.path,
                                                unmount: true, force: true))
        #expect(refused.reason == .holdsImage)
        #expect(refused.message.hasPrefix("\(loop.path) holds the image \(image.path)"))
        #expect(try isMounted(mountpoint))
    }
}

/// An ext4 filesystem made on a test's loop device and mounted in a fresh directory;
/// `remove()` unmounts it (if still mounted) and deletes the directory.
final class MountedExt4 {
    let mountpoint: URL

    init(on loop: LoopDevice) throws {
        mountpoint = try TemporaryDirectory.make(prefix: "edgeflash-mnt")
        try Shell.bash("mkfs.ext4 -q -F \(loop.path) && mount \(loop.path) \(mountpoint.path)")
    }

    func remove() {
        _ = try? Shell.run("umount", [mountpoint.path])
        try? FileManager.default.removeItem(at: mountpoint)
    }
}

/// A /dev/disk/by-diskseq link names one disk instance: once the device it points to is another
/// disk (a loop device attached again gets a new diskseq), the link is refused as stale. No udev
/// here: the links are made in a temporary directory named by-diskseq, as udev names them.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct DiskSequenceLinkTests {
    func diskSequence(_ loop: LoopDevice) throws -> UInt64 {
        let name = URL(fileURLWithPath: loop.path).lastPathComponent
        let text = try String(contentsOfFile: "/sys/block/\(name)/diskseq", encoding: .utf8)
        return try #require(UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func aLinkToADiskAttachedAgainIsStaleAndRefused() throws {
        let loop = try LoopDevice(size: 32 * SafetyLoopDeviceTests.mib)
        defer { loop.detach() }
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-diskseq").appendingPathComponent("by-diskseq")
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func link(_ sequence: UInt64) throws -> String {
            let path = dir.appendingPathComponent("\(sequence)").path
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: loop.path)
            return path
        }
        let before = try diskSequence(loop), old = try link(before)
        #expect(try TargetCheck.check(SafetyLoopDeviceTests().ipxeRequest(old)).path == loop.path)
        try DiskSequenceLink.refuseIfStale(old)

        try loop.reattach()
        let after = try diskSequence(loop)
        #expect(after != before)
        let refused = try SafetyLoopDeviceTests().refusal(SafetyLoopDeviceTests().ipxeRequest(old))
        #expect(refused.reason == .staleLink)
        #expect(refused.exitStatus == .refused)
        #expect(refused.message == "\(old) is a stale link: it names disk sequence \(before), but \(loop.path), which it points to, is disk sequence \(after): another disk than the one the link was made for")
        #expect(refused.hint == "name the disk by its /dev/disk/by-id link or its device name (see 'edgeflash list --all'); no flag overrides this")
        // check and verify, which only read, refuse it the same way.
        #expect(throws: refused) { try DiskSequenceLink.refuseIfStale(old) }
        // So is the same link spelled with a `.`, or reached through a link of the user's.
        let outer = dir.deletingLastPathComponent().appendingPathComponent("stick").path
        try FileManager.default.createSymbolicLink(atPath: outer, withDestinationPath: old)
        for spelling in [dir.path + "/./\(before)", outer] {
            let again = try SafetyLoopDeviceTests().refusal(SafetyLoopDeviceTests().ipxeRequest(spelling))
            #expect(again.reason == .staleLink, "\(spelling): \(again.message)")
            #expect(throws: TargetRefusal.self, "\(spelling)") { try DiskSequenceLink.refuseIfStale(spelling) }
        }
        // The link udev makes for the disk as it is now names it.
        let current = try link(after)
        #expect(try TargetCheck.check(SafetyLoopDeviceTests().ipxeRequest(current)).path == loop.path)
        try DiskSequenceLink.refuseIfStale(current)
    }
}
