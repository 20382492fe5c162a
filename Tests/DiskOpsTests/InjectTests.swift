@testable import DiskOps
import EdgeCore
import Foundation
import ISOVerify
import Testing
import TestSupport

private let userData = Array("#cloud-config\nstylus:\n  site:\n    registrationURL: https://r.example/x\n".utf8)
private func request(_ fs: InjectionRequest.FileSystem = .vfat, userData: [UInt8] = userData, size: Int64? = nil) -> InjectionRequest {
    InjectionRequest(fileSystem: fs, size: size, files: [.init(name: "user-data", contents: userData),
                                                         .init(name: "meta-data", contents: Array("instance-id: t\n".utf8))])
}

/// A copy of `image` in `dir`, to inject into.
private func copy(_ image: String, in dir: URL) throws -> String {
    let path = dir.appendingPathComponent("target.img").path
    try FileManager.default.copyItem(atPath: image, toPath: path)
    return path
}

/// Every byte of the original image is unchanged in the target, except inside the partition table
/// structures (MBR entries, GPT header and entry array): the image region with those bytes put back
/// hashes to the image's own SHA-256.
private func expectImageUntouched(original: String, target: String, tables: [Range<Int>]) throws {
    let before = Array(try Data(contentsOf: URL(fileURLWithPath: original)))
    var after = Array(try Data(contentsOf: URL(fileURLWithPath: target)).prefix(before.count))
    var changedOutside = 0
    for i in 0..<before.count where before[i] != after[i] && !tables.contains(where: { $0.contains(i) }) { changedOutside += 1 }
    #expect(changedOutside == 0, "image bytes changed outside the partition tables")
    for range in tables { after.replaceSubrange(range, with: before[range]) }
    let restored = URL(fileURLWithPath: target + ".restored")
    try Data(after).write(to: restored)
    defer { try? FileManager.default.removeItem(at: restored) }
    let hashes = try Shell.bash("sha256sum < '\(original)'; sha256sum < '\(restored.path)'").split(separator: "\n")
    #expect(hashes.count == 2 && hashes[0] == hashes[1])
}

private func extract(_ path: String, from offset: Int64, count: Int64, to out: URL) throws {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    try (handle.readData(ofLength: Int(count))).write(to: out)
}

/// fsck.fat -n is clean, mtools reads the exact user-data, libblkid probes vfat/CIDATA at the offset.
private func expectCleanFAT(_ path: String, plan: InjectionPlan, dir: URL) throws {
    let volume = dir.appendingPathComponent("volume.img")
    try extract(path, from: plan.start, count: plan.size, to: volume)
    let fsck = try Shell.run("fsck.fat", ["-n", volume.path])
    #expect(fsck.status == 0, "\(fsck.stdout)")
    #expect(try Shell.bash("mtype -i '\(path)@@\(plan.start)' ::user-data") == String(decoding: userData, as: UTF8.self))
    let probe = try Shell.bash("blkid -p -o export -O \(plan.start) \(path)")
    #expect(probe.contains("TYPE=vfat") && probe.contains("LABEL=CIDATA"), "\(probe)")
    let report = try BlkidProbe.probe(path: path, offset: plan.start, size: plan.size)   // the project's libblkid wrapper
    #expect(report.type == "vfat" && report.label == "CIDATA")
}

@Test func injectsIntoAnMBRIsohybridFromLBA0() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let target = try copy(InstallerImages.ipxe, in: dir)
    let plan = try UserDataInjector.inject(target: target, request())
    #expect(plan.layout == .mbr)
    #expect(plan.partitionNumber == 2)
    #expect(plan.start == 2 << 20)          // the image is 2 MiB; the volume starts right after
    let table = try #require(try MBR.parse(Array(try Data(contentsOf: URL(fileURLWithPath: target)).prefix(512))))
    #expect(table.partitions.map(\.number) == [1, 2])
    #expect(table.partitions[0].status == 0x80 && table.partitions[0].startLBA == 0)   // boot flag and partition 1 kept
    #expect(table.partitions[1].type == 0x0C && Int64(table.partitions[1].startLBA) * 512 == plan.start)
    try expectImageUntouched(original: InstallerImages.ipxe, target: target, tables: [446..<510])
    try expectCleanFAT(target, plan: plan, dir: dir)
    let fdisk = try Shell.bash("fdisk -l \(target)")
    #expect(fdisk.contains("W95 FAT32 (LBA)"))
}

@Test func injectsIntoAGrubMkrescueGPTHybrid() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try InstallerImages.grubRescueHybrid(in: dir)
    let target = try copy(image, in: dir)
    let plan = try UserDataInjector.inject(target: target, request())
    #expect(plan.layout == .gpt)
    #expect(plan.partitionNumber == 5)
    #expect(try Shell.bash("sgdisk -v \(target)").contains("No problems found"))
    let fdisk = try Shell.run("fdisk", ["-l", target])
    #expect(fdisk.status == 0 && !fdisk.stderr.contains("mismatch") && !fdisk.stdout.contains("mismatch"))
    // The header at LBA 1, the entry array (LBA 20 for grub-mkrescue) and the protective entry's size
    // change; the APM, boot code and ISO do not.
    try expectImageUntouched(original: image, target: target, tables: [446..<510, 512..<1024, (20 * 512)..<(64 * 512)])
    try expectCleanFAT(target, plan: plan, dir: dir)
}

@Test func injectsIntoAKairosStyleISOWithAppendedESP() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try InstallerImages.kairosStyle(in: dir)
    let target = try copy(image, in: dir)
    let plan = try UserDataInjector.inject(target: target, request())
    #expect(plan.layout == .gpt)
    #expect(try Shell.bash("sgdisk -v \(target)").contains("No problems found"))
    #expect(try Shell.bash("sgdisk -i 2 \(target)").contains("EFI system partition"))
    let mbr = try #require(try MBR.parse(Array(try Data(contentsOf: URL(fileURLWithPath: target)).prefix(512))))
    #expect(mbr.partitions.contains { $0.status == 0x80 })           // the forced boot flag is kept
    #expect(!mbr.partitions.contains { $0.type == 0x0C })            // hybrid MBR not extended
    try expectImageUntouched(original: image, target: target, tables: [446..<510, 512..<1024, 1024..<(34 * 512)])
    try expectCleanFAT(target, plan: plan, dir: dir)
}

@Test func injectsIntoAnImageWithNoTable() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try InstallerImages.plainISO(in: dir)
    let target = try copy(image, in: dir)
    let plan = try UserDataInjector.inject(target: target, request())
    #expect(plan.layout == .none)
    #expect(plan.partitionNumber == 1)
    #expect(try Shell.bash("fdisk -l \(target)").contains("W95 FAT32 (LBA)"))
    // Entries 2-4 are all zero bytes, CHS included: fdisk and sfdisk find nothing to warn about.
    let sector = Array(try Data(contentsOf: URL(fileURLWithPath: target)).prefix(512))
    #expect(sector[462..<510].allSatisfy { $0 == 0 })
    let fdisk = try Shell.run("fdisk", ["-l", target]), sfdisk = try Shell.run("sfdisk", ["--verify", target])
    #expect(fdisk.status == 0 && fdisk.stderr.isEmpty, "\(fdisk.stderr)")
    #expect(sfdisk.status == 0 && sfdisk.stderr.isEmpty, "\(sfdisk.stdout)\(sfdisk.stderr)")
    try expectImageUntouched(original: image, target: target, tables: [446..<512])
    try expectCleanFAT(target, plan: plan, dir: dir)
}

@Test func reinjectionReplacesTheVolume() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try InstallerImages.grubRescueHybrid(in: dir)
    let target = try copy(image, in: dir)
    let first = try UserDataInjector.inject(target: target, request())
    let second = try UserDataInjector.inject(target: target, request(.iso9660))
    #expect(!first.replacesExisting && second.replacesExisting)
    #expect(second.partitionNumber == first.partitionNumber && second.start == first.start)
    let listing = try Shell.bash("sgdisk -p \(target)")
    #expect(listing.components(separatedBy: "user-data").count == 2)   // one volume, not two
    #expect(try Shell.bash("sgdisk -v \(target)").contains("No problems found"))
    let probe = try Shell.bash("blkid -p -o export -O \(second.start) \(target)")
    #expect(probe.contains("TYPE=iso9660") && probe.contains("LABEL=cidata"), "\(probe)")
    let third = try UserDataInjector.inject(target: target, request())
    #expect(third.replacesExisting && third.partitionNumber == first.partitionNumber)
    try expectCleanFAT(target, plan: third, dir: dir)
}

@Test func iso9660VolumeIsReadableWithIsoinfo() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let target = try copy(InstallerImages.ipxe, in: dir)
    let plan = try UserDataInjector.inject(target: target, request(.iso9660))
    #expect(plan.label == "cidata")
    let volume = dir.appendingPathComponent("volume.iso")
    try Shell.bash("dd if=\(target) of=\(volume.path) bs=512 skip=\(plan.start / 512) count=\(plan.size / 512) status=none")
    let info = try Shell.bash("isoinfo -d -i \(volume.path)")
    #expect(info.contains("Volume id: cidata") && info.contains("Joliet") && info.contains("Rock Ridge"))
    #expect(try Shell.bash("isoinfo -J -i \(volume.path) -x /user-data") == String(decoding: userData, as: UTF8.self))
    #expect(try Shell.bash("blkid -p -o export -O \(plan.start) \(target)").contains("TYPE=iso9660"))
}

// MARK: refusals, planned on bytes: nothing is written when planning throws

private func plan(_ image: [UInt8], targetSize: Int64, _ req: InjectionRequest = request()) throws -> InjectionPlan {
    try InjectionPlanner.plan(req, targetSize: targetSize) { offset, count in
        let start = min(Int(offset), image.count), end = min(Int(offset) + count, image.count)
        return Array(image[start..<end]) + [UInt8](repeating: 0, count: count - (end - start))
    }
}

@Test func refusesWhenThereIsNoRoomAfterTheImage() throws {
    let ipxe = Array(try Data(contentsOf: URL(fileURLWithPath: InstallerImages.ipxe)))
    let error = try #require(throws: EdgeError.self) { try plan(ipxe, targetSize: 40 << 20) }
    #expect(error.exitStatus == .refused)
    #expect(error.message.contains("no room"))
    #expect(error.hint?.contains("--size") == true)     // 38 MiB would fit: the hint says so
    #expect(try plan(ipxe, targetSize: 40 << 20, request(size: 36 << 20)).size == 36 << 20)
}

@Test func refusesATargetSmallerThanTheImage() throws {
    let ipxe = Array(try Data(contentsOf: URL(fileURLWithPath: InstallerImages.ipxe)))
    let error = try #require(throws: EdgeError.self) { try plan(ipxe, targetSize: 1 << 20) }
    #expect(error.message.contains("smaller than the image"))
}

@Test func refusesAFullMBR() throws {
    var ipxe = Array(try Data(contentsOf: URL(fileURLWithPath: InstallerImages.ipxe)))
    var table = try #require(try MBR.parse(Array(ipxe.prefix(512))))
    for n in 2...4 { table.place(.init(number: n, type: 0x83, startLBA: UInt32(n * 10), sectors: 1)) }
    ipxe.replaceSubrange(446..<512, with: table.tableBytes)
    let error = try #require(throws: EdgeError.self) { try plan(ipxe, targetSize: 1 << 30) }
    #expect(error.message.contains("no free entry"))
}

@Test func refusesToWriteATableOverNonTableBytes() throws {
    var bytes = [UInt8](repeating: 0, count: 1 << 20)
    bytes[450] = 0x42      // something in the table area, but no 55AA signature
    let error = try #require(throws: EdgeError.self) { try plan(bytes, targetSize: 1 << 30) }
    #expect(error.message.contains("sector 0"))
}

/// A disk blanked at its start whose old backup GPT survives at its end: refused in edgeflash's
/// words before anything is written (libparted's "unrecognised disk label" came after the writes).
@Test func aBlankDiskWithAnOldBackupGPTIsRefusedBeforeWriting() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let target = dir.appendingPathComponent("old-disk.img").path
    try Shell.bash("truncate -s 128M '\(target)' && sgdisk -n 1:2048:+8M '\(target)' >/dev/null && dd if=/dev/zero of='\(target)' bs=512 count=34 conv=notrunc status=none")
    let before = try Shell.bash("sha256sum < '\(target)'")
    let error = try #require(throws: EdgeError.self) { try UserDataInjector.inject(target: target, request()) }
    #expect(error.code == .refused)
    #expect(error.message.contains("no partition table in sector 0 but a backup GPT at its last sector (262143)"), "\(error.message)")
    #expect(error.hint?.contains("wipefs -a") == true)
    #expect(try Shell.bash("sha256sum < '\(target)'") == before)
}

@Test func blankTargetGetsAVolumeAtOneMiB() throws {
    let result = try plan([UInt8](repeating: 0, count: 4096), targetSize: 1 << 30)
    #expect(result.layout == .none && result.start == 1 << 20 && result.size == InjectionRequest.defaultFATSize)
}

// MARK: interrupted injections

/// Applies the first `count` writes of `plan` to `path` (growing it first), as a process killed
/// after its `count`th write would leave it.
private func applyPrefix(_ plan: InjectionPlan, count: Int, to path: String) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.truncate(atOffset: max(UInt64(plan.targetSize), try handle.seekToEnd()))
    for write in plan.writes.prefix(count) {
        try handle.seek(toOffset: UInt64(write.offset))
        try handle.write(contentsOf: Data(write.bytes))
    }
}

/// Replacing a volume and being killed after any write: the partition the table points at holds
/// either a complete volume (old or new: fsck clean, exactly one of the two user-data files) or no
/// filesystem at all, never a half-written CIDATA; and running inject again always ends with one
/// clean volume in the same partition, not a second one beside a dead one.
@Test(arguments: ["mbr", "gpt"])
func anInterruptedReplacementIsConsistentAndInjectingAgainRepairsIt(layout: String) throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = layout == "mbr" ? InstallerImages.ipxe : try InstallerImages.grubRescueHybrid(in: dir)
    let base = try copy(image, in: dir)
    let oldData = Array("#cloud-config\nstylus:\n  site:\n    registrationURL: https://old.example/x\n".utf8)
    let first = try UserDataInjector.inject(target: base, request(userData: oldData))
    let replacement = request(userData: userData)
    let targetSize = try FileManager.default.attributesOfItem(atPath: base)[.size] as! Int64
    let plan = try InjectionPlanner.plan(replacement, targetSize: targetSize, read: InjectionTarget(path: base, readOnly: true).read)
    #expect(plan.replacesExisting && plan.start == first.start)
    #expect(plan.phases.count == (layout == "gpt" ? 5 : 4))
    #expect(plan.phases[0].allSatisfy { $0.bytes.allSatisfy { $0 == 0 } })     // the header is cleared first
    for count in 0...plan.writes.count {
        let state = dir.appendingPathComponent("state-\(count).img").path
        try Shell.bash("cp --sparse=always '\(base)' '\(state)'")
        try applyPrefix(plan, count: count, to: state)
        let probe = try Shell.bash("blkid -p -o export -O \(plan.start) '\(state)' || true")
        if probe.contains("LABEL=CIDATA") {
            let volume = dir.appendingPathComponent("volume-\(count).img")
            try extract(state, from: plan.start, count: plan.size, to: volume)
            let fsck = try Shell.run("fsck.fat", ["-n", volume.path])
            #expect(fsck.status == 0, "after \(count) writes: \(fsck.stdout)")
            let text = try Shell.bash("mtype -i '\(state)@@\(plan.start)' ::user-data")
            #expect(text == String(decoding: oldData, as: UTF8.self) || text == String(decoding: userData, as: UTF8.self),
                    "after \(count) writes: a mix of old and new user-data")
        } else {
            #expect(!probe.contains("TYPE="), "after \(count) writes: \(probe)")
        }
        // Running inject again converges: the same partition, replaced, one volume.
        let again = try UserDataInjector.inject(target: state, replacement)
        #expect(again.replacesExisting && again.partitionNumber == first.partitionNumber && again.start == first.start,
                "after \(count) of \(plan.writes.count) writes: inject again added partition \(again.partitionNumber) at \(again.start), replacing: \(again.replacesExisting)")
        try expectCleanFAT(state, plan: again, dir: dir)
        try FileManager.default.removeItem(atPath: state)
    }
}

/// --size edge cases: whole sectors, a minimum the hint names in M, and no terabyte volumes (an
/// ISO9660 `--size 3T` grew an image file to 3 TiB).
@Test func volumeSizesOutOfRangeAreRefusedWithAUsableHint() throws {
    let ipxe = Array(try Data(contentsOf: URL(fileURLWithPath: InstallerImages.ipxe)))
    let ragged = try #require(throws: EdgeError.self) { try plan(ipxe, targetSize: 1 << 30, request(size: 1500)) }
    #expect(ragged.message.contains("512-byte sectors") && ragged.exitStatus == .invalidInput)
    let small = try #require(throws: EdgeError.self) { try plan(ipxe, targetSize: 1 << 30, request(size: 1 << 20)) }
    #expect(small.hint?.contains("--size 34M") == true)
    var huge = request(.iso9660, size: 3 << 40)
    huge.growable = true
    let big = try #require(throws: EdgeError.self) { try plan(ipxe, targetSize: Int64(ipxe.count), huge) }
    #expect(big.message.contains("2 TiB") && big.exitStatus == .invalidInput)
    #expect(try plan(ipxe, targetSize: 1 << 30, request(size: 34 << 20)).size == 34 << 20)
}
