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
    let log = URL(fileURLWithPath: target).deletingLastPathComponent().appendingPathComponent("flash.jsonl").path
    let result = try EdgeFlashBinary.run(["inject", target, "--user-data", template, "--sites", sites, "--site", "austin", "--log", log])
    #expect(result.status == 0, "\(result.stderr)")
    let text = try Shell.bash("mtype -i '\(target)@@\(2 << 20)' ::user-data")
    #expect(text.contains("name: austin") && text.contains("edgeHostToken: tok-a"))
    // The result is one line of the flash log: the site and its data's hash, never its token.
    let line = try String(contentsOfFile: log, encoding: .utf8)
    let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(record["operation"] as? String == "inject" && record["result"] as? String == "ok")
    #expect(record["site"] as? String == "austin" && record["device"] as? String == target)
    #expect((record["userDataSHA256"] as? String)?.count == 64 && record["instanceID"] != nil)
    #expect(!line.contains("tok-a") && line.hasSuffix("\n") && line.split(separator: "\n").count == 1)
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

/// `inject --json` ends with one result object on failure too: ok false, the exit status, the error.
@Test func injectJSONReportsFailuresAsAResultObject() throws {
    let target = try imageCopy(InstallerImages.ipxe)
    let token = "PLANTED-json-failure-token-9c1"
    let invalid = try userDataFile("#cloud-config\nstylus:\n  site:\n    edgeHostToken: \(token)\n    tags: [\(token)\n")
    let valid = try userDataFile(validUserData.replacingOccurrences(of: "tok-e2e-123", with: token))
    let cases: [(arguments: [String], status: Int32, says: String)] = [
        (["inject", target, "--user-data", invalid, "--json"], 6, "invalid"),
        (["inject", target, "--user-data", valid, "--size", "1M", "--json"], 6, "too small"),
        (["inject", target, "--user-data", valid, "--size", "64Q", "--json"], 64, "not a size"),
        (["inject", target, "--user-data", valid, "--size", "99999999999T", "--json"], 64, "not a size"),
        (["inject", target, "--user-data", valid, "--meta-data", valid, "--instance-id", "x", "--json"], 64, "give one"),
        (["inject", target, "--json"], 64, "--user-data"),
        (["inject", target + ".missing", "--user-data", valid, "--json"], 6, "does not exist"),
    ]
    for (arguments, status, says) in cases {
        let result = try EdgeFlashBinary.run(arguments)
        #expect(result.status == status, "\(arguments): \(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        let object = try #require(try lines.last.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] },
                                  "\(arguments) printed no JSON object")
        #expect(object["ok"] as? Bool == false && object["exitStatus"] as? Int == Int(status))
        #expect(object["type"] as? String == "user-data" && object["target"] != nil)
        let error = try #require(object["error"] as? [String: Any])
        #expect((error["message"] as? String)?.contains(says) == true, "\(arguments): \(error)")
        #expect(!result.stdout.contains(token) && !result.stderr.contains(token))
    }
    let success = try EdgeFlashBinary.run(["inject", target, "--user-data", valid, "--json"])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(success.stdout.utf8)) as? [String: Any])
    #expect(object["ok"] as? Bool == true && object["exitStatus"] as? Int == 0 && object["error"] == nil)
}

@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
func injectJSONReportsARefusalOnADevice() throws {
    let small = try LoopDevice(size: 40 << 20)
    defer { small.detach() }
    let large = try LoopDevice(size: 128 << 20)
    defer { large.detach() }
    for loop in [small, large] {
        try Shell.bash("dd if=\(InstallerImages.ipxe) of=\(loop.path) bs=1M oflag=direct status=none")
    }
    let file = try userDataFile(validUserData)
    let unconfirmed = try EdgeFlashBinary.run(["inject", large.path, "--user-data", file, "--json"])
    #expect(unconfirmed.status == 7)
    // No room is a refusal, and refusals come before the question, as for write: with or without --yes.
    let refusal = try EdgeFlashBinary.run(["inject", small.path, "--user-data", file, "--yes", "--json"])
    #expect(refusal.status == 3)
    let refusalUnasked = try EdgeFlashBinary.run(["inject", small.path, "--user-data", file, "--json"])
    #expect(refusalUnasked.status == 3)
    for result in [unconfirmed, refusal, refusalUnasked] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false && object["exitStatus"] as? Int == Int(result.status))
    }
    #expect(refusal.stdout.contains("no room") && refusalUnasked.stdout.contains("no room"))
}

/// An image file that receives user-data holds the site's token from then on: owner-only.
@Test func injectIntoAnImageFileLeavesItOwnerOnly() throws {
    let target = try imageCopy(InstallerImages.ipxe)
    try Shell.bash("chmod 644 '\(target)'")
    let result = try EdgeFlashBinary.run(["inject", target, "--user-data", try userDataFile(validUserData)])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try FileManager.default.attributesOfItem(atPath: target)[.posixPermissions] as? Int == 0o600)
}

/// `write --user-data` injects right after the write: the writer closes the stick when it
/// returns, so inject's exclusive open never finds it busy (it used to, now and then, while a
/// pipeline thread still held the descriptor, and inject waited up to 2 s for it).
@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
func writeWithUserDataOpensTheStickRightAfterTheWrite() throws {
    let loop = try LoopDevice(size: 128 << 20)
    defer { loop.detach() }
    let file = try userDataFile(validUserData)
    for _ in 0..<5 {
        let result = try EdgeFlashBinary.run(["write", InstallerImages.ipxe, loop.path, "--yes", "--user-data", file])
        #expect(result.status == 0, "\(result.stderr)")
    }
}

/// A stick another program holds exclusively is refused as busy, at once.
@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
func injectRefusesAStickHeldExclusively() throws {
    let loop = try LoopDevice(size: 128 << 20)
    defer { loop.detach() }
    try Shell.bash("dd if=\(InstallerImages.ipxe) of=\(loop.path) bs=1M oflag=direct status=none")
    let file = try userDataFile(validUserData)
    let holder = try ExclusiveHolder(loop.path)
    defer { holder.release() }
    let refused = try EdgeFlashBinary.run(["inject", loop.path, "--user-data", file, "--yes"])
    #expect(refused.status == 3 && refused.stderr.contains("busy"), "\(refused.stderr)")
}
