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
