@testable import DiskOps
import ISOVerify
import Foundation
import Testing
import TestSupport

@Test func crc32MatchesTheStandardCheckValue() {
    #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
}

@Test func mbrRoundTripsTheIsohybridTable() throws {
    let sector = Array(try Data(contentsOf: URL(fileURLWithPath: InstallerImages.ipxe)).prefix(512))
    let table = try #require(MBRTable(sector: sector))
    #expect(table.entries[0].firstLBA == 0)            // partition 1 from LBA 0: libparted refuses this
    #expect(table.entries[0].status == 0x80)
    #expect(table.entries[1].isEmpty)
    #expect(table.tableBytes == Array(sector[446..<512]))
    #expect(MBRTable(sector: [UInt8](repeating: 0, count: 512)) == nil)
}

@Test func mbrEntryUsesLBAOnlyCHSMarkers() {
    var table = MBRTable(entries: Array(repeating: .init(type: 0, firstLBA: 0, sectorCount: 0), count: 4))
    table.entries[1] = .init(type: 0x0C, firstLBA: 4096, sectorCount: 131_072)
    let bytes = table.tableBytes
    #expect(Array(bytes[16..<32]) == [0x00, 0xFE, 0xFF, 0xFF, 0x0C, 0xFE, 0xFF, 0xFF, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00])
    #expect(bytes[64] == 0x55 && bytes[65] == 0xAA)
}

@Test func gptEditKeepsCRCsValidAndMovesTheBackup() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    var image = Array(try Data(contentsOf: URL(fileURLWithPath: try InstallerImages.grubRescueHybrid(in: dir))))
    let read = { (offset: Int64, count: Int) -> [UInt8] in Array(image[Int(offset)..<Int(offset) + count]) }
    var table = try #require(GPTTable(headerSector: read(512, 512)) { read(Int64($0) * 512, $1) })
    #expect(table.usedEntries.count == 4)
    #expect(table.alternateLBA == UInt64(image.count / 512 - 1))   // backup at the image's end

    let diskSectors = UInt64(image.count / 512 + 8192)
    table.relocateBackup(diskSectors: diskSectors)
    table.setEntry(4, type: GPTTable.basicDataType, firstLBA: diskSectors - 4096, lastLBA: diskSectors - 1 - 45, name: "user-data")
    image += [UInt8](repeating: 0, count: 8192 * 512)
    let serialized = table.serialized()
    for write in serialized.backup + serialized.primary { image.replaceSubrange(Int(write.offset)..<Int(write.offset) + write.bytes.count, with: write.bytes) }

    let primary = try #require(GPTTable(headerSector: read(512, 512)) { read(Int64($0) * 512, $1) })
    #expect(primary.alternateLBA == diskSectors - 1)
    #expect(primary.lastUsableLBA == diskSectors - 1 - UInt64(primary.entryArraySectors) - 1)
    #expect(primary.usedEntries.count == 5)
    #expect(primary.entry(4).typeGUID == GPTTable.basicDataType)
    #expect(primary.entry(4).name == "user-data")
    // The backup parses too: its own CRC and its own entry array (at the disk's end) check out.
    let backup = try #require(GPTTable(headerSector: read(Int64(diskSectors - 1) * 512, 512)) { read(Int64($0) * 512, $1) })
    #expect(backup.entries == primary.entries)
    #expect(backup.entriesLBA == diskSectors - 1 - UInt64(primary.entryArraySectors))

    let path = dir.appendingPathComponent("edited.img")
    try Data(image).write(to: path)
    let verify = try Shell.run("sgdisk", ["-v", path.path])
    #expect(verify.stdout.contains("No problems found"), "\(verify.stdout)")
}

@Test func guidBytesAreMixedEndian() {
    #expect(GPTTable.basicDataType == [0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44, 0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26, 0x99, 0xC7])
}
