import Foundation
import Testing
import TestSupport

/// udev/60-edgeflash.rules, read by the real udev rules engine (`udevadm test`; no udev daemon
/// runs here) with `edgeflash udev-check` as its PROGRAM. What it grants is tested on recorded
/// machines in PlugTimeGrantTests; here: the rule parses, and a loop device is never granted.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct UdevRuleTests {
    static let installed = URL(fileURLWithPath: "/run/udev/rules.d/60-edgeflash-test.rules")

    @Test func theRuleParsesAndLeavesALoopDeviceRootOnly() throws {
        let rule = try String(contentsOf: BootFixture.repositoryRoot.appendingPathComponent("udev/60-edgeflash.rules"), encoding: .utf8)
        try FileManager.default.createDirectory(at: Self.installed.deletingLastPathComponent(), withIntermediateDirectories: true)
        try rule.replacingOccurrences(of: "/usr/bin/edgeflash", with: EdgeFlashBinary.url.path)
            .write(to: Self.installed, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: Self.installed) }
        let loop = try LoopDevice(size: 8 << 20)
        defer { loop.detach() }

        let name = (loop.path as NSString).lastPathComponent
        let result = try Shell.run("udevadm", ["test", "--action=add", "/sys/block/\(name)"])
        let output = result.stdout + result.stderr
        #expect(output.contains("Reading rules file: \(Self.installed.path)"), "\(output.suffix(2000))")
        let ours = output.split(separator: "\n").filter { $0.contains("60-edgeflash-test.rules") && !$0.contains("Reading rules file") }
        // The only complaint allowed: the group does not exist on this machine (the package makes it).
        #expect(ours.allSatisfy { $0.contains("Unknown group 'edgeflash'") }, "\(ours)")
        #expect(!output.contains("udev-check"), "a loop device is not on USB or MMC: edgeflash is not even asked")
        #expect(!output.contains("GROUP=\"edgeflash\"") && !output.contains("gid=edgeflash"))
    }

    @Test func udevCheckAnswersForThisMachine() throws {
        let loop = try LoopDevice(size: 8 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["udev-check", loop.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("not offered: loop device"), "\(result.stdout)")
        let missing = try EdgeFlashBinary.run(["udev-check", "sdzz"])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("no such whole disk"))
    }
}
