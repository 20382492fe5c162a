import Foundation
import ISOVerify
import Testing
import TestSupport
@testable import DiskOps

/// ImageWriter against real loop devices: the bytes on the device are compared with the image by
/// `cmp`, not by edgeflash's own reading code.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct WritePipelineTests {
    static let ipxe = "/usr/lib/ipxe/ipxe.iso"

    func write(_ imagePath: String, to loop: LoopDevice, expected: ExpectedChecksum? = nil,
               verify: Bool = true) throws -> WriteOutcome {
        let image = try ImageFile(path: imagePath)
        defer { image.close() }
        let device = try BlockDevice(path: loop.path, access: .readWrite, direct: true, exclusive: true)
        defer { device.close() }
        let writer = try ImageWriter(image: image, device: device, expected: expected, cancel: CancellationFlag(),
                                     progress: { _ in })
        return try writer.run(verify: verify)
    }

    func compare(_ imagePath: String, with loop: LoopDevice, algorithm: HashAlgorithm?) throws -> DeviceComparison.Result {
        let image = try ImageFile(path: imagePath)
        defer { image.close() }
        let device = try BlockDevice(path: loop.path, access: .readOnly)
        defer { device.close() }
        return try DeviceComparison.compare(image: image, device: device, hash: algorithm.map { StreamingHash($0) },
                                            cancel: CancellationFlag(), progress: { _ in })
    }

    func deviceEqualsImage(_ loop: LoopDevice, _ imagePath: String) throws -> Bool {
        let size = try FileManager.default.attributesOfItem(atPath: imagePath)[.size] as! Int
        return try Shell.run("cmp", ["-n", "\(size)", imagePath, loop.path]).succeeded
    }

    func sha256(_ path: String) throws -> String {
        String(try Shell.bash("sha256sum '\(path)'").prefix(64))
    }

    @Test func writesAndVerifiesARealISO() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let outcome = try write(Self.ipxe, to: loop)
        #expect(try deviceEqualsImage(loop, Self.ipxe))
        #expect(outcome.readBackVerified)
        #expect(outcome.checksum == .unverified)
        #expect(outcome.bytesWritten == Int64(try FileManager.default.attributesOfItem(atPath: Self.ipxe)[.size] as! Int))
    }

    @Test func writesALargerRandomImageWithItsChecksum() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let imagePath = dir.appendingPathComponent("random.img").path
        // 200 MiB and 3 KiB: not a multiple of the chunk size, the last write is padded.
        try Shell.bash("head -c $((200*1024*1024 + 3072)) /dev/urandom > '\(imagePath)'")
        let expected = ExpectedChecksum(algorithm: .sha256, hex: try sha256(imagePath), source: "test")
        let loop = try LoopDevice(size: 256 << 20)
        defer { loop.detach() }
        let outcome = try write(imagePath, to: loop, expected: expected)
        #expect(outcome.checksum == .matched(expected))
        #expect(try deviceEqualsImage(loop, imagePath))
    }

    @Test func padsTheLastWriteOnADiskWith4KiBSectors() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let imagePath = dir.appendingPathComponent("odd.img").path
        // Not a multiple of 4096: O_DIRECT needs the last write padded to a whole 4 KiB sector.
        try Shell.bash("head -c $((5*1024*1024 + 1536)) /dev/urandom > '\(imagePath)'")
        let backing = dir.appendingPathComponent("stick4k.img").path
        try Shell.bash("truncate -s 16M '\(backing)'")
        let path = try Shell.bash("losetup --find --show --direct-io=on --sector-size 4096 '\(backing)'")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? Shell.run("losetup", ["-d", path]) }
        let device = try BlockDevice(path: path, access: .readWrite, exclusive: true)
        defer { device.close() }
        #expect(device.logicalSectorSize == 4096)
        let image = try ImageFile(path: imagePath)
        defer { image.close() }
        let writer = try ImageWriter(image: image, device: device, expected: nil,
                                     cancel: CancellationFlag(), progress: { _ in })
        #expect(try writer.run(verify: true).readBackVerified)
        #expect(try Shell.run("cmp", ["-n", "\(5 * 1024 * 1024 + 1536)", imagePath, path]).succeeded)
    }

    @Test func sha512IsCheckedToo() throws {
        let hex = String(try Shell.bash("sha512sum '\(Self.ipxe)'").prefix(128))
        let loop = try LoopDevice(size: 8 << 20)
        defer { loop.detach() }
        let expected = ExpectedChecksum(algorithm: .sha512, hex: hex, source: "test")
        #expect(try write(Self.ipxe, to: loop, expected: expected).checksum == .matched(expected))
    }

    @Test func aChecksumMismatchLeavesNoBootableStick() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        // An old stick: a GPT made by sgdisk at both ends of the disk.
        try Shell.bash("sgdisk -o -n 1:2048:0 '\(loop.path)' >/dev/null")
        let wrong = ExpectedChecksum(algorithm: .sha256, hex: String(repeating: "0", count: 64), source: "ipxe.iso.sha256")
        let failure = #expect(throws: WriteFailure.self) { try write(Self.ipxe, to: loop, expected: wrong) }
        let error = failure?.cause as? ChecksumMismatchError
        #expect(failure?.firstMiB == .blank)
        #expect(error?.actual == (try sha256(Self.ipxe)))
        #expect(error?.message.contains(String(repeating: "0", count: 64)) == true)
        // Nothing that boots or looks like a partition table: the first MiB is blank, not the image's.
        let head = try loop.read(offset: 0, count: 1 << 20)
        #expect(head.allSatisfy { $0 == 0 })
        let probe = try Shell.run("blkid", ["-p", loop.path])
        #expect(probe.status == 2, "blkid should find no signature: \(probe.stdout)")
    }

    @Test func clearsTheStaleBackupGPTAtTheEndOfTheDisk() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        try Shell.bash("sgdisk -o -n 1:2048:0 '\(loop.path)' >/dev/null")
        let tailBefore = try loop.read(offset: (64 << 20) - 512, count: 512)
        #expect(tailBefore.starts(with: Array("EFI PART".utf8)), "the fixture must have a backup GPT header")
        _ = try write(Self.ipxe, to: loop)
        let tail = try loop.read(offset: (63 << 20), count: 1 << 20)
        #expect(tail.allSatisfy { $0 == 0 }, "the old backup GPT must be gone")
        #expect(try deviceEqualsImage(loop, Self.ipxe))
    }

    @Test func anIOErrorMidWriteNamesTheOffset() throws {
        // The stick's backing file lives on a 64 MiB tmpfs but claims 256 MiB: writes past the
        // tmpfs's room fail inside the loop device.
        let mountpoint = try TemporaryDirectory.make(prefix: "edgeflash-small-tmpfs")
        try Shell.bash("mount -t tmpfs -o size=64m tmpfs '\(mountpoint.path)'")
        defer {
            _ = try? Shell.run("umount", [mountpoint.path])
            try? FileManager.default.removeItem(at: mountpoint)
        }
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let imagePath = dir.appendingPathComponent("big.img").path
        try Shell.bash("head -c $((160*1024*1024)) /dev/urandom > '\(imagePath)'")
        let loop = try LoopDevice(size: 256 << 20, directIO: false, directory: mountpoint)
        defer { loop.detach() }
        let failure = #expect(throws: WriteFailure.self) { try write(imagePath, to: loop) }
        let error = failure?.cause as? DeviceIOError
        #expect(error?.operation == .write || error?.operation == .sync)
        #expect(error?.exitStatus == .ioError)
        if error?.operation == .write {
            let offset = try #require(error?.offset)
            #expect(offset > 0 && offset < 160 << 20)
            #expect(error?.message.contains("at byte offset \(offset)") == true)
        }
    }

    @Test func comparisonFindsOneChangedByteOnTheDevice() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        _ = try write(Self.ipxe, to: loop)
        let same = try compare(Self.ipxe, with: loop, algorithm: .sha256)
        #expect(same.firstDifference == nil)
        #expect(same.imageHash == (try sha256(Self.ipxe)))

        let offset: Int64 = 300_001
        let original = try loop.read(offset: offset, count: 1)[0]
        try Shell.bash("printf '\\x\(String(format: "%02x", original ^ 0xFF))' | dd of='\(loop.backingFile.path)' bs=1 seek=\(offset) conv=notrunc,fsync status=none")
        let changed = try compare(Self.ipxe, with: loop, algorithm: nil)
        #expect(changed.firstDifference == offset)
    }

    @Test func readBackNamesTheFirstBadByteEvenWhenTwoChunksAreBad() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let imagePath = dir.appendingPathComponent("random.img").path
        try Shell.bash("head -c $((40*1024*1024)) /dev/urandom > '\(imagePath)'")
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        _ = try write(imagePath, to: loop)

        // Two bytes changed on the stick, in different chunks: the lower offset must be named,
        // whichever I/O thread notices first.
        for offset in [30_000_123, 9_000_001] {
            try Shell.bash("printf '\\x5a' | dd of='\(loop.backingFile.path)' bs=1 seek=\(offset) conv=notrunc,fsync status=none")
        }
        let image = try ImageFile(path: imagePath)
        defer { image.close() }
        let device = try BlockDevice(path: loop.path, access: .readWrite, exclusive: true)
        defer { device.close() }
        let plan = try WritePlan(imageSize: image.size, deviceSize: device.size, sectorSize: device.logicalSectorSize)
        let source = SourceSegments(image: image, plan: plan, hash: nil)
        let digests = SegmentDigests(plan: plan, map: nil)
        let buffer = AlignedBuffer(capacity: plan.chunkSize)
        for index in 0..<plan.segmentCount {
            try source.read(index, into: buffer)
            digests.record(index, buffer)
        }
        let verifier = ReadBackVerifier(device: device, image: image, plan: plan, digests: digests,
                                        depth: 4, ioThreads: 2, cancel: CancellationFlag())
        let counter = ProgressCounter(phase: .verify, total: image.size, report: { _ in })
        let error = #expect(throws: ReadBackMismatchError.self) {
            try verifier.verify(0..<plan.segmentCount, counter: counter)
        }
        let original = try Shell.bash("dd if='\(imagePath)' bs=1 skip=9000001 count=1 status=none | od -An -tx1").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(error?.offset == (original == "5a" ? 30_000_123 : 9_000_001))
    }

    @Test func anInterruptedWriteStopsFlushedAndNotBootable() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let image = try ImageFile(path: Self.ipxe)
        defer { image.close() }
        let device = try BlockDevice(path: loop.path, access: .readWrite, exclusive: true)
        defer { device.close() }
        let cancel = CancellationFlag()
        // Cancel as the first body segment is written, as SIGINT would.
        let writer = try ImageWriter(image: image, device: device, expected: nil, cancel: cancel,
                                     progress: { if $0.phase == .write { cancel.cancel() } })
        let failure = #expect(throws: WriteFailure.self) { try writer.run(verify: true) }
        #expect(failure?.cause is WriteInterruptedError)
        #expect(failure?.exitStatus == .interrupted)
        #expect(failure?.firstMiB == .blank)
        #expect(try loop.read(offset: 0, count: 1 << 20).allSatisfy { $0 == 0 })
    }
}
