import EdgeCore
import Foundation
import Testing
import TestSupport
@testable import DiskOps

/// `DiskImageFinish.plan` over image bytes (made by sgdisk and sfdisk in files, no root): what a
/// disk image needs on a larger disk, and every refusal before a write.
@Suite struct DiskImageFinishTests {
    /// A file made by `script` (given its path), read whole.
    func image(_ script: (String) -> String) throws -> [UInt8] {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-finish")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("disk.img").path
        try Shell.bash(script(path))
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func plan(_ bytes: [UInt8], diskSize: Int64, sectorSize: Int = 512, grow: Bool = false) throws -> DiskImageFinish? {
        try DiskImageFinish.plan(imagePath: "disk.img", imageSize: Int64(bytes.count), imageEnd: Int64(bytes.count), diskPath: "/dev/sdz", diskSize: diskSize,
                                 diskSectorSize: sectorSize, grow: grow) { offset, count in
            (0..<count).map { i in Int(offset) + i < bytes.count ? bytes[Int(offset) + i] : 0 }
        }
    }

    /// 8 MiB: partition 1 from sector 2048 to the last usable sector (16350).
    func gptImage() throws -> [UInt8] {
        try image { "truncate -s 8M '\($0)' && sgdisk -o -n1:2048:0 '\($0)' >/dev/null" }
    }

    @Test func aGPTImageOnALargerDiskHasItsBackupMovedAndWithGrowItsLastPartition() throws {
        let bytes = try gptImage()
        let moved = try #require(try plan(bytes, diskSize: 16 << 20))
        #expect(moved.layout == "gpt" && moved.backupHeaderFrom == 16383 && moved.backupHeaderTo == 32767 && moved.grown == nil)
        // The backup header is the very last sector written, its entry array just before it.
        #expect(moved.writes.contains { $0.offset == 32767 * 512 && Array($0.bytes.prefix(8)) == Array("EFI PART".utf8) })
        #expect(moved.writes.contains { $0.offset == 32735 * 512 && $0.bytes.count == 32 * 512 })

        let grown = try #require(try plan(bytes, diskSize: 16 << 20, grow: true)).grown
        #expect(grown == DiskImageFinish.GrownPartition(number: 1, firstSector: 2048, previousLastSector: 16350, lastSector: 32734, sectorSize: 512))
        #expect(try plan(bytes, diskSize: 8 << 20) == nil)    // already at the disk's end
    }

    @Test func aSectorSizeMismatchIsRefused() throws {
        let error = #expect(throws: EdgeError.self) { try plan(try gptImage(), diskSize: 16 << 20, sectorSize: 4096) }
        #expect(error?.code == .refused)
        #expect(error?.message.contains("has its GPT at byte 512 (made for 512-byte sectors), but /dev/sdz has 4096-byte logical sectors") == true)
    }

    @Test func growIsRefusedWhereItCannotWork() throws {
        let iso = Array(try Data(contentsOf: URL(fileURLWithPath: InstallerImages.ipxe)))
        #expect(try plan(iso, diskSize: 64 << 20) == nil)     // an ISO is left as it is
        let extended = try image { "truncate -s 8M '\($0)' && printf 'label: dos\\n2048,4096,83\\n6144,,5\\n' | sfdisk -q '\($0)'" }
        let blank = [UInt8](repeating: 0, count: 1 << 20)
        for (bytes, why) in [(iso, "it is an ISO 9660 installer image"), (extended, "its last partition (2) is an extended partition"),
                             (blank, "it has no partition table")] {
            let error = #expect(throws: EdgeError.self) { try plan(bytes, diskSize: 64 << 20, grow: true) }
            #expect(error?.code == .refused)
            #expect(error?.message.contains(why) == true, "\(error?.message ?? "")")
        }
    }
}
