@testable import DiskOps
import EdgeCore
import Foundation
import ISOVerify
import Testing
import TestSupport

private let userData = Array("#cloud-config\nstylus:\n  site:\n    registrationURL: https://r.example/x\n".utf8)
private let files = [FAT32Volume.File(name: "user-data", contents: userData),
                     FAT32Volume.File(name: "meta-data", contents: Array("instance-id: site-a\n".utf8))]

/// The volume's writes laid into a zero file, as they would land on a stick.
private func volumeFile(size: Int64, files: [FAT32Volume.File], in dir: URL) throws -> String {
    let writes = try FAT32Volume(size: size).writes(label: "CIDATA", files: files, hiddenSectors: 2048,
                                                    volumeID: 0x1234_5678, date: Date(timeIntervalSince1970: 1_700_000_000))
    var bytes = [UInt8](repeating: 0, count: Int(size))
    for w in writes { bytes.replaceSubrange(Int(w.offset)..<Int(w.offset) + w.bytes.count, with: w.bytes) }
    let path = dir.appendingPathComponent("fat.img").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

@Test func fat32GeometryFollowsTheSpec() throws {
    let small = try FAT32Volume(size: 64 << 20)
    #expect(small.sectorsPerCluster == 1)
    #expect(small.clusterCount >= 65525)                           // FAT32, not FAT16
    #expect(Int(small.fatSectors) * 128 >= Int(small.clusterCount) + 2)
    let large = try FAT32Volume(size: 1 << 30)
    #expect(large.sectorsPerCluster == 8)
    #expect(throws: EdgeError.self) { try FAT32Volume(size: 16 << 20) }
}

@Test func bootSectorFields() throws {
    let writes = try FAT32Volume(size: 64 << 20).writes(label: "CIDATA", files: files, hiddenSectors: 4096, volumeID: 7, date: Date())
    let boot = writes[0].bytes
    let fields = ByteReader(boot, structure: "FAT boot sector")
    #expect(try fields.u16le(11) == 512)
    #expect(try fields.u16le(14) == 32)
    #expect(try fields.u32le(28) == 4096)                // hidden sectors = partition start
    #expect(try fields.u32le(32) == UInt32((64 << 20) / 512))
    #expect(String(decoding: boot[71..<82], as: UTF8.self) == "CIDATA     ")
    #expect(String(decoding: boot[82..<90], as: UTF8.self) == "FAT32   ")
    #expect(Array(boot[(6 * 512)..<(7 * 512)]) == Array(boot[0..<512]))   // backup boot sector
    #expect(try fields.u32le(512) == 0x4161_5252 && fields.u32le(512 + 484) == 0x6141_7272)
    #expect(VolumeLabelProbe.isUserDataVolume(boot))
}

@Test func fsckFindsTheVolumeCleanAndMtoolsReadsTheExactFiles() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = try volumeFile(size: 40 << 20, files: files, in: dir)
    let fsck = try Shell.run("fsck.fat", ["-n", path])
    #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    #expect(!fsck.stdout.contains("differ"))
    let listing = try Shell.bash("mdir -i \(path) ::")
    #expect(listing.contains("user-data") && listing.contains("meta-data"))   // long names kept
    #expect(listing.contains("CIDATA"))
    let copied = dir.appendingPathComponent("copy")
    try Shell.bash("mcopy -i \(path) ::user-data \(copied.path)")
    #expect(Array(try Data(contentsOf: copied)) == userData)
    #expect(try Shell.bash("blkid -p -o export \(path)").contains("TYPE=vfat"))
}

@Test func filesSpanningManyClustersChainCorrectly() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let path = try volumeFile(size: 40 << 20, files: [.init(name: "user-data", contents: big), .init(name: "empty", contents: [])], in: dir)
    #expect(try Shell.run("fsck.fat", ["-n", path]).status == 0)
    let copied = dir.appendingPathComponent("copy")
    try Shell.bash("mcopy -i \(path) ::user-data \(copied.path)")
    #expect(Array(try Data(contentsOf: copied)) == big)
}
