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
    var table = try #require(try GPT.parse(header: Array(bytes[512..<1024]), imageSize: Int64(bytes.count), read: image(bytes)))
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

    let primary = try #require(try GPT.parse(header: Array(bytes[512..<1024]), imageSize: Int64(bytes.count), read: image(bytes)))
    #expect(primary.backupLBA == diskSectors - 1 && primary.backupValid)
    #expect(primary.lastUsableLBA == diskSectors - 1 - primary.entryArraySectors - 1)
    #expect(primary.partitions.count == 5)
    let added = try #require(primary.partitions.first { $0.number == free })
    #expect(added.typeGUID == GPT.basicDataType && added.typeName == "basic data" && added.name == "user-data")
    #expect(added.uniqueGUID.count == 36 && added.uniqueGUID.dropFirst(14).first == "4")   // a version 4 GUID
    // The backup parses too: its own CRC and its own entry array (at the disk's end) check out.
    let backupHeader = Array(bytes[Int(diskSectors - 1) * 512..<Int(diskSectors) * 512])
    let backup = try #require(try GPT.parse(header: backupHeader, imageSize: Int64(bytes.count), read: image(bytes)))
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
    let original = try #require(try GPT.parse(header: Array(bytes[512..<1024]), imageSize: Int64(bytes.count), read: read))
    bytes[Int(original.entriesLBA) * 512 + 60] ^= 1
    let damaged = Array(bytes[512..<1024])
    #expect(throws: EdgeError.self) { try GPT.parse(header: damaged, imageSize: Int64(bytes.count), read: image(bytes)) }
    let recovered = try #require(try GPT.backupAsPrimary(damagedPrimary: damaged, diskSize: Int64(bytes.count), read: image(bytes)))
    #expect(recovered.partitions == original.partitions)
    #expect(recovered.currentLBA == 1 && recovered.entriesLBA == original.entriesLBA && recovered.backupLBA == original.backupLBA)
    // No backup where the disk ends: nothing to fall back to.
    #expect(try GPT.backupAsPrimary(damagedPrimary: damaged, diskSize: Int64(bytes.count) + 512, read: image(bytes)) == nil)
}

/// What a firmware would reject is never written: an entry array over the MBR, a partition over
/// another, a disk too small for the backup.
@Test func gptEditsAndSerializationRefuseBrokenLayouts() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try InstallerImages.grubRescueHybrid(in: dir))))
    var table = try #require(try GPT.parse(header: Array(bytes[512..<1024]), imageSize: Int64(bytes.count), read: image(bytes)))
    let first = try #require(table.partitions.first)
    let overlap = try #require(throws: EdgeError.self) {
        try table.setPartition(try #require(table.firstFreeNumber), type: GPT.basicDataType, firstLBA: first.firstLBA, lastLBA: first.lastLBA, name: "x")
    }
    #expect(overlap.message.contains("overlap partition \(first.number)"))
    #expect(throws: EdgeError.self) { try table.setPartition(0, type: GPT.basicDataType, firstLBA: 100, lastLBA: 200, name: "x") }
    let small = try #require(throws: EdgeError.self) { try table.relocateBackup(diskSectors: 40) }
    #expect(small.message.contains("too small"))

    var header = Array(bytes[512..<1024])
    header.setLE64(72, 0)                                  // entry array at LBA 0, over the MBR
    header.setLE32(16, 0)
    header.setLE32(16, CRC32.checksum(header[0..<92]))
    var shifted = bytes
    shifted.replaceSubrange(0..<Int(table.entryArraySectors) * 512, with: bytes[Int(table.entriesLBA) * 512..<Int(table.entriesLBA + table.entryArraySectors) * 512])
    let odd = try #require(try GPT.parse(header: header, imageSize: Int64(bytes.count), read: image(shifted)))
    #expect(odd.entriesLBA == 0)                           // inspect reports it as it is...
    let refused = try #require(throws: EdgeError.self) { try odd.serialized() }
    #expect(refused.message.contains("does not lie between the header and the first usable sector"))   // ...inject never writes it
}

@Test func guidsAreStoredMixedEndian() throws {
    let bytes = try GPT.guidBytes(GPT.basicDataType)
    #expect(bytes == [0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44, 0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7])
    #expect(try GPT.guid(ByteReader(bytes, structure: "GUID"), 0) == GPT.basicDataType)
    #expect(throws: EdgeError.self) { try GPT.guidBytes("not-a-guid") }
}
