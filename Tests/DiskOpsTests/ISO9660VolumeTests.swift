import DiskOps
import EdgeCore
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

/// What `verify --against` reads back: each file by its Rock Ridge name, byte for byte; a name the
/// root does not hold is nil; a directory that points outside the bytes is an error, not a trap.
@Test func iso9660RootFilesReadBackByTheirRockRidgeNames() throws {
    let userData = Array("#cloud-config\n# exact bytes\n".utf8), metaData = Array("instance-id: x\n".utf8)
    let image = try ISO9660Volume.make(label: "cidata", files: [.init(name: "user-data", contents: userData),
                                                                 .init(name: "meta-data", contents: metaData)])
    let read = { (offset: Int64, count: Int) throws -> [UInt8] in
        guard offset >= 0, offset + Int64(count) <= Int64(image.count) else { throw EdgeError(.malformed, "past the end") }
        return Array(image[Int(offset)..<Int(offset) + count])
    }
    #expect(try ISO9660Volume.readRootFile(named: "user-data", limit: 1 << 20, read: read) == userData)
    #expect(try ISO9660Volume.readRootFile(named: "meta-data", limit: 1 << 20, read: read) == metaData)
    #expect(try ISO9660Volume.readRootFile(named: "vendor-data", limit: 1 << 20, read: read) == nil)
    #expect(throws: EdgeError.self) { try ISO9660Volume.readRootFile(named: "user-data", limit: 4, read: read) }

    var hostile = image
    hostile.replaceSubrange((16 * 2048 + 156 + 10)..<(16 * 2048 + 156 + 14), with: [0xFF, 0xFF, 0x0F, 0x00])   // root: 1 MiB
    #expect(throws: EdgeError.self) {
        try ISO9660Volume.readRootFile(named: "user-data", limit: 1 << 20) { offset, count in
            guard offset + Int64(count) <= Int64(hostile.count) else { throw EdgeError(.malformed, "past the end") }
            return Array(hostile[Int(offset)..<Int(offset) + count])
        }
    }
}
