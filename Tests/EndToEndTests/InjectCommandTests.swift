import Foundation
import Testing
import TestSupport

private func imageCopy(_ image: String) throws -> String {
    let path = try TemporaryDirectory.make().appendingPathComponent("site.img").path
    try FileManager.default.copyItem(atPath: image, toPath: path)
    return path
}

@Test func injectIntoAnImageFileGrowsItAndReportsJSON() throws {
    let target = try imageCopy(InstallerImages.ipxe)
    let result = try EdgeFlashBinary.run(["inject", target, "--user-data", try userDataFile(validUserData),
                                          "--instance-id", "site-a", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["layout"] as? String == "mbr")
    #expect(object["partition"] as? Int == 2)
    #expect(object["label"] as? String == "CIDATA")
    let start = try #require(object["start"] as? Int)
    let size = try FileManager.default.attributesOfItem(atPath: target)[.size] as? Int
    #expect(size == object["targetSize"] as? Int && size! >= start + (64 << 20))
    #expect(try Shell.bash("mtype -i '\(target)@@\(start)' ::meta-data") == "instance-id: site-a\n")
}

@Test func injectRefusesInvalidUserDataBeforeWriting() throws {
    let target = try imageCopy(InstallerImages.ipxe)
    let before = try Data(contentsOf: URL(fileURLWithPath: target))
    let result = try EdgeFlashBinary.run(["inject", target, "--user-data", try userDataFile("stylus: {}\n")])
    #expect(result.status == 6)
    #expect(result.stderr.contains("nothing was written"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == before)
}

@Test func injectRefusesAMissingTemplateValueBeforeWriting() throws {
    let target = try imageCopy(InstallerImages.ipxe)
    let before = try Data(contentsOf: URL(fileURLWithPath: target))
    let template = try userDataFile("#cloud-config\nstylus:\n  site:\n    edgeHostToken: {{token}}\n")
    let sites = try userDataFile("name,region\nberlin,eu\n", name: "sites.csv")
    let result = try EdgeFlashBinary.run(["inject", target, "--user-data", template, "--sites", sites, "--site", "berlin"])
    #expect(result.status == 6)
    #expect(result.stderr.contains("'token'"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == before)
}

@Test func injectRendersASiteFromCSV() throws {
    let target = try imageCopy(InstallerImages.ipxe)
    let template = try userDataFile("#cloud-config\nstylus:\n  site:\n    edgeHostToken: {{token}}\n    projectName: p\n    name: {{name}}\n")
    let sites = try userDataFile("name,token\nberlin,tok-b\naustin,tok-a\n", name: "sites.csv")
    let result = try EdgeFlashBinary.run(["inject", target, "--user-data", template, "--sites", sites, "--site", "austin"])
    #expect(result.status == 0, "\(result.stderr)")
    let text = try Shell.bash("mtype -i '\(target)@@\(2 << 20)' ::user-data")
    #expect(text.contains("name: austin") && text.contains("edgeHostToken: tok-a"))
}

@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
func injectOntoALoopDeviceLeavesTheImageIntact() throws {
    let loop = try LoopDevice(size: 128 << 20)
    defer { loop.detach() }
    try Shell.bash("dd if=\(InstallerImages.ipxe) of=\(loop.path) bs=1M oflag=direct status=none")
    let imageSize = try FileManager.default.attributesOfItem(atPath: InstallerImages.ipxe)[.size] as! Int
    let result = try EdgeFlashBinary.run(["inject", loop.path, "--user-data", try userDataFile(validUserData), "--yes"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("partition 2"))
    // The image region hashes as before, except the MBR's table bytes (446-509).
    let hashes = try Shell.bash("""
        dd if=\(loop.path) bs=512 count=\(imageSize / 512) status=none | python3 -c 'import sys,hashlib; d=bytearray(sys.stdin.buffer.read()); o=open("\(InstallerImages.ipxe)","rb").read(); d[446:510]=o[446:510]; print(hashlib.sha256(d).hexdigest())'
        sha256sum < \(InstallerImages.ipxe) | cut -d' ' -f1
        """).split(separator: "\n")
    #expect(hashes.count == 2 && hashes[0] == hashes[1])
    let probe = try Shell.bash("blkid -p -o export -O \(2 << 20) \(loop.path)")
    #expect(probe.contains("TYPE=vfat") && probe.contains("LABEL=CIDATA"))
    #expect(try Shell.bash("mtype -i '\(loop.path)@@\(2 << 20)' ::user-data") == validUserData)
    #expect(try Shell.bash("fdisk -l \(loop.path)").contains("\(loop.path)p2"))
}

@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
func injectOnABlockDeviceNeedsConfirmation() throws {
    let loop = try LoopDevice(size: 128 << 20)
    defer { loop.detach() }
    try Shell.bash("dd if=\(InstallerImages.ipxe) of=\(loop.path) bs=1M oflag=direct status=none")
    let result = try EdgeFlashBinary.run(["inject", loop.path, "--user-data", try userDataFile(validUserData)])
    #expect(result.status == 7)
    #expect(result.stderr.contains("--yes"))
    #expect(try Shell.bash("blkid -p -o export -O \(2 << 20) \(loop.path) || true").isEmpty)
}

@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
func injectRefusesWhenTheStickIsTooSmall() throws {
    // 40 MiB: the 2 MiB image fits, a 64 MiB volume after it does not.
    let loop = try LoopDevice(size: 40 << 20)
    defer { loop.detach() }
    try Shell.bash("dd if=\(InstallerImages.ipxe) of=\(loop.path) bs=1M oflag=direct status=none")
    let file = try userDataFile(validUserData)
    let result = try EdgeFlashBinary.run(["inject", loop.path, "--user-data", file, "--yes"])
    #expect(result.status == 3)
    #expect(result.stderr.contains("no room") && result.stderr.contains("--size"))
    // Smaller than the image itself: a 1 MiB stick holding the start of the 2 MiB image.
    let tiny = try LoopDevice(size: 1 << 20)
    defer { tiny.detach() }
    try Shell.bash("dd if=\(InstallerImages.ipxe) of=\(tiny.path) bs=1M count=1 oflag=direct status=none")
    let refused = try EdgeFlashBinary.run(["inject", tiny.path, "--user-data", file, "--yes"])
    #expect(refused.status == 3)
    #expect(refused.stderr.contains("smaller than the image"))
}

@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
func injectOntoAGPTHybridOnALoopDeviceMovesTheBackupToTheDiskEnd() throws {
    let dir = try TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(at: dir) }
    let image = try InstallerImages.grubRescueHybrid(in: dir)
    let loop = try LoopDevice(size: 256 << 20)
    defer { loop.detach() }
    try Shell.bash("dd if=\(image) of=\(loop.path) bs=1M oflag=direct status=none")
    let result = try EdgeFlashBinary.run(["inject", loop.path, "--user-data", try userDataFile(validUserData), "--yes", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try Shell.bash("sgdisk -v \(loop.path)").contains("No problems found"))
    let fdisk = try Shell.run("fdisk", ["-l", loop.path])
    #expect(fdisk.status == 0 && !(fdisk.stdout + fdisk.stderr).contains("mismatch"))
    // The backup header is the device's last sector now.
    let last = try loop.read(offset: (256 << 20) - 512, count: 8)
    #expect(last == Data("EFI PART".utf8))
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let start = try #require(object["start"] as? Int)
    let probe = try Shell.bash("blkid -p -o export -O \(start) \(loop.path)")
    #expect(probe.contains("TYPE=vfat") && probe.contains("LABEL=CIDATA"))
    #expect(try Shell.bash("mtype -i '\(loop.path)@@\(start)' ::user-data") == validUserData)
}
