import DiskOps
import Foundation
import Testing
import TestSupport

@Test func iso9660VolumeHasLabelJolietRockRidgeAndTheFiles() throws {
    let content = Array("#cloud-config\n# exact bytes\n".utf8)
    let image = try ISO9660Volume.make(label: "cidata", files: [.init(name: "user-data", contents: content),
                                                                 .init(name: "meta-data", contents: Array("instance-id: x\n".utf8))])
    #expect(VolumeLabelProbe.label(image)?.label == "cidata")
    #expect(VolumeLabelProbe.isUserDataVolume(image))
    #expect(VolumeLabelProbe.iso9660Size(image) == Int64(image.count))
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("v.iso").path
    try Data(image).write(to: URL(fileURLWithPath: path))
    let info = try Shell.bash("isoinfo -d -i \(path)")
    #expect(info.contains("Volume id: cidata"))
    #expect(info.contains("Joliet"))
    #expect(info.contains("Rock Ridge"))
    #expect(try Shell.bash("isoinfo -R -i \(path) -x /user-data") == String(decoding: content, as: UTF8.self))
    #expect(try Shell.bash("isoinfo -J -i \(path) -f").contains("/meta-data"))
}
