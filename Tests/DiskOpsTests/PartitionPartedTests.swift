@testable import DiskOps
import EdgeCore
import Foundation
import Testing
import TestSupport

@Test func libpartedSeesTheInjectedGPTPartition() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try InstallerImages.grubRescueHybrid(in: dir)
    let before = try PartedTableReader.read(image)
    #expect(before.type == "gpt")
    #expect(before.partitions.count == 4)
    let plan = try UserDataInjector.inject(target: image, InjectionRequest(files: [.init(name: "user-data", contents: Array("#cloud-config\n".utf8))]))
    let after = try PartedTableReader.read(image)
    #expect(after.partitions.count == 5)
    #expect(after.partitions.last == .init(number: 5, startSector: plan.start / 512, sectorCount: plan.size / 512))
    #expect(after.warnings.isEmpty, "\(after.warnings)")     // the backup GPT now sits at the end
}

@Test func libpartedRefusalOfAnLBA0IsohybridIsAnErrorNotAPrompt() throws {
    let error = try #require(throws: EdgeError.self) { try PartedTableReader.read(InstallerImages.ipxe) }
    #expect(error.message.contains("libparted cannot read"))
}

/// libparted opens a block device with the kernel's logical sector size: on a 4Kn loop device a
/// 4096-byte-sector image's partitions are counted in 4 KiB sectors, as its GPT has them.
@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
func libpartedCountsA4KnDisksOwnSectors() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let fourK = GPTDiskImage.fourK
    let image = try fourK.make(in: dir)
    let loop = try Shell.bash("losetup -f --show -r --sector-size 4096 '\(image)'").trimmingCharacters(in: .whitespacesAndNewlines)
    defer { _ = try? Shell.run("losetup", ["-d", loop]) }
    let table = try PartedTableReader.read(loop)
    #expect(table.type == "gpt" && table.sectorSize == 4096)
    #expect(table.partitions == [.init(number: 1, startSector: Int64(fourK.fat.first), sectorCount: Int64(fourK.fat.last - fourK.fat.first + 1)),
                                 .init(number: 2, startSector: Int64(fourK.ext4.first), sectorCount: Int64(fourK.ext4.last - fourK.ext4.first + 1))])
}
