import EdgeCore
import Foundation
import Testing
import TestSupport
@testable import BuildStage
import ISOVerify

/// Staging on real ISOs with the real xorriso, checked from outside with xorriso, isoinfo and sha256sum.
@Suite(.serialized)
struct ISOStagerTests {
    let work: URL
    let userData: URL, edgeConfig: URL, clusterConfig: URL, bundle: URL

    init() throws {
        work = try TemporaryDirectory.make(prefix: "edgeflash-stage")
        userData = work.appendingPathComponent("user-data")
        try Data("#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.com\n".utf8).write(to: userData)
        edgeConfig = work.appendingPathComponent("edge.yaml")
        try Data("edge: custom\n".utf8).write(to: edgeConfig)
        clusterConfig = work.appendingPathComponent("spc.tgz")
        try Data((0..<300).map { UInt8($0 % 251) }).write(to: clusterConfig)
        try FileManager.default.createDirectory(at: work.appendingPathComponent("content-abc"), withIntermediateDirectories: true)
        bundle = work.appendingPathComponent("content-abc/core.zst")
        try Data((0..<2500).map { UInt8(($0 * 7) % 256) }).write(to: bundle)
    }

    func plan(partSize: Int64 = 1000) throws -> ISOStagingPlan {
        ISOStagingPlan(userData: userData.path, contentBundles: try ContentBundles.find(in: [work.path]),
                       edgeCustomConfig: edgeConfig.path, clusterConfig: clusterConfig.path, partSize: partSize)
    }

    func stage(base: String, output: URL, epoch: Int64? = 1_700_000_000, plan: ISOStagingPlan? = nil) throws -> ISOStager.Result {
        try ISOStager.locate().stage(.init(baseISO: base, outputDirectory: output.path, isoName: "palette-edge-installer",
                                           plan: try plan ?? self.plan(), sourceDateEpoch: epoch))
    }

    /// ipxe: isolinux MBR isohybrid; edge: the Edge installer's shape (appended ESP as GPT
    /// partition 2, offset 16), from the boot fixture; grub-mkrescue: GPT + APM + HFS+.
    @Test(arguments: ["ipxe", "edge", "grub-mkrescue"])
    func stagesEveryInputAndKeepsTheBootSetup(_ kind: String) throws {
        let base = switch kind {
        case "ipxe": ISOFixtures.ipxe
        case "edge": try BootFixture.installerISO(layout: .edge).path
        default: try ISOFixtures.grubRescue(in: work)
        }
        let output = work.appendingPathComponent("build-\(kind)")
        let result = try stage(base: base, output: output)

        #expect(ISOFixtures.files(in: output) == ["palette-edge-installer.iso", "palette-edge-installer.iso.sha256"])
        #expect(try ISOFixtures.extract(result.iso, "/files-iso/config.yaml", into: work) == Data(contentsOf: userData))
        #expect(try ISOFixtures.extract(result.iso, "/.edge_custom_config.yaml", into: work) == Data(contentsOf: edgeConfig))
        #expect(try ISOFixtures.extract(result.iso, "/opt/spectrocloud/clusterconfig/spc.tgz", into: work) == Data(contentsOf: clusterConfig))
        var joined = Data()
        for part in ["00", "01", "02"] {
            joined += try ISOFixtures.extract(result.iso, "/opt/spectrocloud/content/core.zst_part\(part)", into: work)
        }
        #expect(joined == (try Data(contentsOf: bundle)))

        #expect(try ISOFixtures.volumeID(result.iso) == ISOFixtures.volumeID(base))
        let before = try ISOFixtures.bootLines(base), after = try ISOFixtures.bootLines(result.iso)
        #expect(before.contains { $0.contains("BIOS") } && before.contains { $0.contains("UEFI") })
        if kind != "grub-mkrescue" {
            #expect(before == after)
            #expect(!result.droppedHFSPlus)
        } else {
            // xorriso 1.5.4 cannot replay grub-mkrescue's HFS+/APM part: all but that must match.
            #expect(result.droppedHFSPlus)
            let notMac: (String) -> Bool = { !$0.contains("005346480000aa11aa1100306543ecac") && !$0.contains("a2a0d0ebe5b9334487c068b6b72699c7") }
            #expect(before.filter { $0.hasPrefix("El Torito") } == after.filter { $0.hasPrefix("El Torito") })
            #expect(before.filter { $0.hasPrefix("MBR") } == after.filter { $0.hasPrefix("MBR") })
            #expect(before.filter(notMac).filter { $0.hasPrefix("GPT") } == after.filter(notMac).filter { $0.hasPrefix("GPT") })
            #expect(after.contains("System area summary: MBR protective-msdos-label grub2-mbr cyl-align-off GPT"))
        }

        let check = try Shell.run("/bin/sh", ["-c", "cd '\(output.path)' && sha256sum -c palette-edge-installer.iso.sha256"])
        #expect(check.succeeded)
        #expect(check.stdout == "palette-edge-installer.iso: OK\n")
        let sumFile = try String(contentsOf: URL(fileURLWithPath: result.checksumFile), encoding: .utf8)
        #expect(sumFile == "\(result.sha256)  palette-edge-installer.iso\n")
    }

    @Test func sameInputsAndEpochGiveTheSameBytes() throws {
        let first = try stage(base: ISOFixtures.ipxe, output: work.appendingPathComponent("one"))
        // Different mtimes on the inputs must not matter either.
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: userData.path)
        let second = try stage(base: ISOFixtures.ipxe, output: work.appendingPathComponent("two"))
        #expect(first.sha256 == second.sha256)
        let cmp = try Shell.run("cmp", [first.iso, second.iso])
        #expect(cmp.succeeded, "\(cmp.stdout)")
        let third = try stage(base: ISOFixtures.ipxe, output: work.appendingPathComponent("three"), epoch: 1_700_000_999)
        #expect(third.sha256 != first.sha256)
    }

    @Test func notAnISOTruncatedADirectoryOrMissingAreRefusedAndNothingIsWritten() throws {
        let text = work.appendingPathComponent("notes.iso")
        try Data(repeating: 0x41, count: 64 * 1024).write(to: text)
        let truncated = work.appendingPathComponent("truncated.iso")
        try Data(try Data(contentsOf: URL(fileURLWithPath: ISOFixtures.ipxe)).prefix(1_000_000)).write(to: truncated)
        let cases: [(String, String)] = [
            (text.path, ": \(text.path) is not a disk image: it looks like a text file"),
            (truncated.path, ": image is truncated: the ISO volume 'ISOIMAGE' declares 1730560 bytes but the file has 1000000 (730560 missing)"),
            (work.path, " is a directory, not a file"),
            (work.appendingPathComponent("nope.iso").path, " does not exist"),
        ]
        for (index, (base, expected)) in cases.enumerated() {
            let output = work.appendingPathComponent("bad-\(index)")
            let error = #expect(throws: EdgeError.self) { try stage(base: base, output: output) }
            #expect(error?.message == "base ISO \(base)\(expected)")
            #expect(error?.exitStatus == .invalidInput)
            #expect(ISOFixtures.files(in: output).isEmpty)
            // Was: "a raw disk image can still be written, but inspect reads only ISO 9660".
            #expect(error?.hint?.contains("inspect") == false)
        }
    }

    @Test func missingInputFileIsNamedAndAnEarlierBuildIsKept() throws {
        let output = work.appendingPathComponent("keep")
        let good = try stage(base: ISOFixtures.ipxe, output: output)
        var plan = try plan()
        plan.mappings[0].source = work.appendingPathComponent("missing-user-data").path
        let error = #expect(throws: EdgeError.self) { try stage(base: ISOFixtures.ipxe, output: output, plan: plan) }
        #expect(error?.message.contains("missing-user-data does not exist") == true)
        #expect(ISOFixtures.files(in: output) == ["palette-edge-installer.iso", "palette-edge-installer.iso.sha256"])
        #expect(try FileHasher.hash(file: URL(fileURLWithPath: good.iso), algorithm: .sha256) == good.sha256)
    }

    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func fullDiskIsAClearIOErrorWithNothingLeftBehind() throws {
        let mount = work.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        try Shell.bash("mount -t tmpfs -o size=3m tmpfs '\(mount.path)'")
        defer { _ = try? Shell.run("umount", [mount.path]) }
        let big = work.appendingPathComponent("content-big/big.zst")
        try FileManager.default.createDirectory(at: big.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(count: 4 << 20).write(to: big)
        let error = #expect(throws: EdgeError.self) {
            try stage(base: ISOFixtures.ipxe, output: mount, plan: try plan(partSize: 1 << 20))
        }
        #expect(error?.exitStatus == .ioError)
        #expect(error?.message.hasPrefix("not enough space in \(mount.path)") == true)
        #expect(ISOFixtures.files(in: mount).isEmpty)
    }

    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func diskFillingUpWhileXorrisoWritesLeavesNothing() throws {
        // The up-front estimate passes (the tmpfs has room), then a filler takes the space away
        // as xorriso starts: the write itself hits ENOSPC.
        let mount = work.appendingPathComponent("filling")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        try Shell.bash("mount -t tmpfs -o size=6m tmpfs '\(mount.path)'")
        defer { _ = try? Shell.run("umount", [mount.path]) }
        let stager = try ISOStager.locate { message in
            if message.hasPrefix("staging") {
                _ = try? Shell.bash("dd if=/dev/zero of='\(mount.path)/filler' bs=1M count=5 2>/dev/null || true")
            }
        }
        let error = #expect(throws: EdgeError.self) {
            try stager.stage(.init(baseISO: ISOFixtures.ipxe, outputDirectory: mount.path, isoName: "palette-edge-installer",
                                   plan: try plan(), sourceDateEpoch: nil))
        }
        #expect(error?.exitStatus == .ioError, "\(error?.message ?? "")")
        #expect(error?.message.hasPrefix("no space left on the device holding \(mount.path)") == true, "\(error?.message ?? "")")
        #expect(ISOFixtures.files(in: mount) == ["filler"])
    }
}
