import EdgeCore
import Foundation
import Testing
import TestSupport
@testable import ISOVerify

/// The one MBR and GPT model: parsed from an image or a stick, edited, serialized, parsed again.

@Test func crc32MatchesTheStandardCheckValue() {
    #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
}

@Test func mbrRoundTripsTheIsohybridTable() throws {
    let sector = Array(try Data(contentsOf: URL(fileURLWithPath: InstallerImages.ipxe)).prefix(512))
    let table = try #require(try MBR.parse(sector))
    #expect(table.partitions.map(\.number) == [1])
    #expect(table.partitions[0].startLBA == 0)         // partition 1 from LBA 0: libparted refuses this
    #expect(table.partitions[0].status == 0x80)
    #expect(table.firstFreeNumber == 2)
    #expect(table.tableBytes == Array(sector[446..<512]))
    #expect(try MBR.parse([UInt8](repeating: 0, count: 512)) == nil)
}

/// A new entry says "beyond CHS reach" (FE FF FF) as every modern tool does; an empty one is all
/// zero bytes, CHS included, or fdisk warns about it.
@Test func mbrEntriesAreLBAOnlyAndEmptyEntriesAllZero() {
    var table = MBR()
    table.place(.init(number: 2, type: 0x0C, startLBA: 4096, sectors: 131_072))
    let bytes = table.tableBytes
    #expect(Array(bytes[16..<32]) == [0x00, 0xFE, 0xFF, 0xFF, 0x0C, 0xFE, 0xFF, 0xFF, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00])
    #expect(bytes[0..<16].allSatisfy { $0 == 0 } && bytes[32..<64].allSatisfy { $0 == 0 })
    #expect(bytes[64] == 0x55 && bytes[65] == 0xAA)
    #expect(table.firstFreeNumber == 1)
}

/// An entry read with CHS values keeps them; one replaced gets the LBA-only marker.
@Test func mbrKeepsCHSOfEntriesItDidNotChange() throws {
    var sector = [UInt8](repeating: 0, count: 512)
    sector.setBytes(446, [0x80, 0x01, 0x02, 0x03, 0x83, 0x04, 0x05, 0x06, 0x3F, 0, 0, 0, 0x00, 0x10, 0, 0])
    sector[510] = 0x55; sector[511] = 0xAA
    var table = try #require(try MBR.parse(sector))
    #expect(table.tableBytes == Array(sector[446..<512]))
    table.partitions[0].sectors = 8192
    #expect(Array(table.tableBytes[1..<4]) == [0x01, 0x02, 0x03])
    table.place(.init(number: 1, type: 0x0C, startLBA: 63, sectors: 1))
    #expect(Array(table.tableBytes[1..<4]) == [0xFE, 0xFF, 0xFF])
}

private func image(_ bytes: [UInt8]) -> (Int64, Int) -> [UInt8] {
    { offset, count in
        guard offset >= 0, offset < Int64(bytes.count) else { return [] }
        return Array(bytes[Int(offset)..<min(Int(offset) + count, bytes.count)])
    }
}

private func apply(_ writes: [DiskWrite], to bytes: inout [UInt8]) {
    for write in writes { bytes.replaceSubrange(Int(write.offset)..<Int(write.offset) + write.bytes.count, with: write.bytes) }
}

@Test func gptEditKeepsCRCsValidAndMovesTheBackup() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try InstallerImages.grubRescueHybrid(in: dir))))
    var table = try #require(try GPT.parse(header: Array(bytes[512..<1024]), sectorSize: 512, imageSize: Int64(bytes.count), read: image(bytes)))
    #expect(table.partitions.count == 4)
    #expect(table.backupPlacement == .endOfImage && table.backupValid)

    let diskSectors = UInt64(bytes.count / 512 + 8192)
    try table.relocateBackup(diskSectors: diskSectors)
    #expect(table.backupLBA == diskSectors - 1 && table.backupPlacement == .endOfImage)
    let free = try #require(table.firstFreeNumber)
    try table.setPartition(free, type: GPT.basicDataType, firstLBA: diskSectors - 4096, lastLBA: diskSectors - 1 - 45, name: "user-data")
    #expect(table.partitions.count == 5)       // the fields follow the edited bytes
    bytes += [UInt8](repeating: 0, count: 8192 * 512)
    let serialized = try table.serialized()
    apply(serialized.backup + serialized.primary, to: &bytes)

    let primary = try #require(try GPT.parse(header: Array(bytes[512..<1024]), sectorSize: 512, imageSize: Int64(bytes.count), read: image(bytes)))
    #expect(primary.backupLBA == diskSectors - 1 && primary.backupValid)
    #expect(primary.lastUsableLBA == diskSectors - 1 - primary.entryArraySectors - 1)
    #expect(primary.partitions.count == 5)
    let added = try #require(primary.partitions.first { $0.number == free })
    #expect(added.typeGUID == GPT.basicDataType && added.typeName == "basic data" && added.name == "user-data")
    #expect(added.uniqueGUID.count == 36 && added.uniqueGUID.dropFirst(14).first == "4")   // a version 4 GUID
    // The backup parses too: its own CRC and its own entry array (at the disk's end) check out.
    let backupHeader = Array(bytes[Int(diskSectors - 1) * 512..<Int(diskSectors) * 512])
    let backup = try #require(try GPT.parse(header: backupHeader, sectorSize: 512, imageSize: Int64(bytes.count), read: image(bytes)))
    #expect(backup.partitions == primary.partitions)
    #expect(backup.entriesLBA == diskSectors - 1 - primary.entryArraySectors && backup.currentLBA == diskSectors - 1)

    let path = dir.appendingPathComponent("edited.img")
    try Data(bytes).write(to: path)
    let verify = try Shell.run("sgdisk", ["-v", path.path])
    #expect(verify.stdout.contains("No problems found"), "\(verify.stdout)")
}

/// An edit stopped between the primary's entries and its header: the primary fails its CRC, the
/// backup at the disk's end stands in for it, its array placed where the primary's was.
@Test func aDamagedPrimaryFallsBackToTheBackup() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try InstallerImages.grubRescueHybrid(in: dir))))
    let read = image(bytes)
    let original = try #require(try GPT.parse(header: Array(bytes[512..<1024]), sectorSize: 512, imageSize: Int64(bytes.count), read: read))
    bytes[Int(original.entriesLBA) * 512 + 60] ^= 1
    let damaged = Array(bytes[512..<1024])
    #expect(throws: EdgeError.self) { try GPT.parse(header: damaged, sectorSize: 512, imageSize: Int64(bytes.count), read: image(bytes)) }
    let recovered = try #require(try GPT.backupAsPrimary(damagedPrimary: damaged, sectorSize: 512, diskSize: Int64(bytes.count), read: image(bytes)))
    #expect(recovered.partitions == original.partitions)
    #expect(recovered.currentLBA == 1 && recovered.entriesLBA == original.entriesLBA && recovered.backupLBA == original.backupLBA)
    // No backup where the disk ends: nothing to fall back to.
    #expect(try GPT.backupAsPrimary(damagedPrimary: damaged, sectorSize: 512, diskSize: Int64(bytes.count) + 512, read: image(bytes)) == nil)
}

/// What a firmware would reject is never written: an entry array over the MBR, a partition over
/// another, a disk too small for the backup.
@Test func gptEditsAndSerializationRefuseBrokenLayouts() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try InstallerImages.grubRescueHybrid(in: dir))))
    var table = try #require(try GPT.parse(header: Array(bytes[512..<1024]), sectorSize: 512, imageSize: Int64(bytes.count), read: image(bytes)))
    let first = try #require(table.partitions.first)
    let overlap = try #require(throws: EdgeError.self) {
        try table.setPartition(try #require(table.firstFreeNumber), type: GPT.basicDataType, firstLBA: first.firstLBA, lastLBA: first.lastLBA, name: "x")
    }
    #expect(overlap.message.contains("overlap partition \(first.number)"))
    #expect(throws: EdgeError.self) { try table.setPartition(0, type: GPT.basicDataType, firstLBA: 100, lastLBA: 200, name: "x") }
    let small = try #require(throws: EdgeError.self) { try table.relocateBackup(diskSectors: 40) }
    #expect(small.message.contains("too small"))
    #expect(small.code == .refused, "the disk is too small, the table is not malformed: exit 3")

    var header = Array(bytes[512..<1024])
    header.setLE64(72, 0)                                  // entry array at LBA 0, over the MBR
    header.setLE32(16, 0)
    header.setLE32(16, CRC32.checksum(header[0..<92]))
    var shifted = bytes
    shifted.replaceSubrange(0..<Int(table.entryArraySectors) * 512, with: bytes[Int(table.entriesLBA) * 512..<Int(table.entriesLBA + table.entryArraySectors) * 512])
    let odd = try #require(try GPT.parse(header: header, sectorSize: 512, imageSize: Int64(bytes.count), read: image(shifted)))
    #expect(odd.entriesLBA == 0)                           // inspect reports it as it is...
    let refused = try #require(throws: EdgeError.self) { try odd.serialized() }
    #expect(refused.message.contains("does not lie between the header and the first usable sector"))   // ...inject never writes it
}

/// An entry array LBA whose offset in bytes fits in 64 bits but whose end does not (in 512- and
/// 4096-byte sectors) is refused as malformed; it trapped on the sum.
@Test func anEntryArrayLBANearTheTopOfSixtyFourBitsIsRefusedNotATrap() throws {
    for (sectorSize, lba) in [(512, UInt64(1) << 55 - 1), (4096, UInt64(1) << 52 - 1)] {
        var header = [UInt8](repeating: 0, count: sectorSize)
        header.replaceSubrange(0..<8, with: Array("EFI PART".utf8))
        header.setLE32(8, 0x0001_0000)
        header.setLE32(12, 92)
        header.setLE64(24, 1)
        header.setLE64(72, lba)
        header.setLE32(80, 128)
        header.setLE32(84, 128)
        header.setLE32(16, CRC32.checksum(header[0..<92]))
        let refused = try #require(throws: EdgeError.self) {
            try GPT.parse(header: header, sectorSize: sectorSize, imageSize: 1 << 20, read: { _, count in [UInt8](repeating: 0, count: count) })
        }
        #expect(refused.message.contains("points past the end of the image"), "\(sectorSize): \(refused.message)")
    }
}

@Test func guidsAreStoredMixedEndian() throws {
    let bytes = try GPT.guidBytes(GPT.basicDataType)
    #expect(bytes == [0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44, 0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7])
    #expect(try GPT.guid(ByteReader(bytes, structure: "GUID"), 0) == GPT.basicDataType)
    #expect(throws: EdgeError.self) { try GPT.guidBytes("not-a-guid") }
}

/// A GPT for 4096-byte sectors laid out byte by byte as sgdisk lays one out on a 4Kn disk of
/// `sectors` sectors: the header at LBA 1 (byte 4096), 128 entries of 128 bytes at LBA 2-5 (four
/// 4 KiB sectors), usable sectors 6 to `sectors` - 6, the backup's array and header at the end.
private func fourKGPT(sectors: UInt64, partition: (first: UInt64, last: UInt64)) throws -> [UInt8] {
    let sector = 4096
    var entries = [UInt8](repeating: 0, count: 128 * 128)
    entries.setBytes(0, try GPT.guidBytes("0FC63DAF-8483-4772-8E79-3D69D8477DE4"))
    entries.setBytes(16, GPT.randomGUIDBytes())
    entries.setLE64(32, partition.first)
    entries.setLE64(40, partition.last)
    func header(current: UInt64, alternate: UInt64, entriesLBA: UInt64) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: sector)
        h.setBytes(0, Array("EFI PART".utf8))
        h.setLE32(8, 0x0001_0000)
        h.setLE32(12, 92)
        h.setLE64(24, current)
        h.setLE64(32, alternate)
        h.setLE64(40, 6)
        h.setLE64(48, sectors - 6)
        h.setBytes(56, GPT.randomGUIDBytes())
        h.setLE64(72, entriesLBA)
        h.setLE32(80, 128)
        h.setLE32(84, 128)
        h.setLE32(88, CRC32.checksum(entries))
        h.setLE32(16, CRC32.checksum(h[0..<92]))
        return h
    }
    var bytes = [UInt8](repeating: 0, count: Int(sectors) * sector)
    bytes.setBytes(446, [0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0])     // protective entry from LBA 1
    bytes.setLE32(446 + 12, UInt32(sectors - 1))
    bytes.setBytes(510, [0x55, 0xAA])
    bytes.setBytes(sector, header(current: 1, alternate: sectors - 1, entriesLBA: 2))
    bytes.setBytes(2 * sector, entries)
    bytes.setBytes(Int(sectors - 5) * sector, entries)
    bytes.setBytes(Int(sectors - 1) * sector, header(current: sectors - 1, alternate: 1, entriesLBA: sectors - 5))
    return bytes
}

/// The same model at 4096-byte sectors: found at byte 4096 (not at 512), its entry array four
/// sectors long, and moved to the end of a disk twice its size with every offset in 4 KiB sectors
/// and both copies' CRCs valid when read again; the last partition grown to the new last usable
/// sector and no further.
@Test func a4096ByteSectorGPTIsReadMovedAndGrownInItsOwnSectors() throws {
    var bytes = try fourKGPT(sectors: 256, partition: (first: 6, last: 250))
    #expect(try GPT.headerSectorSize(image(bytes)) == 4096)
    #expect(try GPT.parse(header: Array(bytes[512..<1024]), sectorSize: 512, imageSize: Int64(bytes.count), read: image(bytes)) == nil)
    var table = try #require(try GPT.parse(header: Array(bytes[4096..<8192]), sectorSize: 4096, imageSize: Int64(bytes.count), read: image(bytes)))
    #expect(table.sectorSize == 4096 && table.entryArraySectors == 4 && table.entriesLBA == 2)
    #expect(table.backupLBA == 255 && table.backupPlacement == .endOfImage && table.backupValid)
    #expect(table.partitions.map(\.lastLBA) == [250] && table.partitions.first?.typeName == "Linux filesystem")

    try table.relocateBackup(diskSectors: 512)
    #expect(table.backupLBA == 511 && table.lastUsableLBA == 506 && table.backupPlacement == .endOfImage)
    #expect(throws: EdgeError.self) { try table.setLastLBA(of: 1, to: 507) }
    try table.setLastLBA(of: 1, to: 506)
    let serialized = try table.serialized()
    #expect(serialized.backup.map(\.offset) == [507 * 4096, 511 * 4096] && serialized.backup.map(\.bytes.count) == [4 * 4096, 4096])
    #expect(serialized.primary.map(\.offset) == [2 * 4096, 4096] && serialized.primary.map(\.bytes.count) == [4 * 4096, 4096])
    bytes += [UInt8](repeating: 0, count: 256 * 4096)
    apply(serialized.backup + serialized.primary, to: &bytes)

    let primary = try #require(try GPT.parse(header: Array(bytes[4096..<8192]), sectorSize: 4096, imageSize: Int64(bytes.count), read: image(bytes)))
    #expect(primary.backupLBA == 511 && primary.backupValid && primary.lastUsableLBA == 506 && primary.partitions.map(\.lastLBA) == [506])
    let backup = try #require(try GPT.parse(header: Array(bytes[511 * 4096..<512 * 4096]), sectorSize: 4096, imageSize: Int64(bytes.count), read: image(bytes)))
    #expect(backup.currentLBA == 511 && backup.entriesLBA == 507 && backup.partitions == primary.partitions)

    // A damaged primary array: the backup at the disk's last 4 KiB sector stands in for it.
    bytes[2 * 4096 + 40] ^= 1
    let damaged = Array(bytes[4096..<8192])
    #expect(throws: EdgeError.self) { try GPT.parse(header: damaged, sectorSize: 4096, imageSize: Int64(bytes.count), read: image(bytes)) }
    let recovered = try #require(try GPT.backupAsPrimary(damagedPrimary: damaged, sectorSize: 4096, diskSize: Int64(bytes.count), read: image(bytes)))
    #expect(recovered.partitions == primary.partitions && recovered.entriesLBA == 2 && recovered.backupLBA == 511)

    // Too small a disk, counted in 4 KiB sectors: the partition reaches 506, the backup needs 5 more.
    let small = try #require(throws: EdgeError.self) { try table.relocateBackup(diskSectors: 511) }
    #expect(small.message.contains("a disk of 511 sectors is too small"))
    #expect(small.code == .refused)
}
