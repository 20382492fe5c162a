import Testing
import Foundation
import TestSupport

@Test func helpListsEverySubcommand() throws {
    let result = try EdgeFlashBinary.run(["--help"])
    #expect(result.status == 0)
    for sub in ["list", "inspect", "verify", "write", "inject", "user-data", "build"] {
        #expect(result.stdout.contains(sub), "help should list \(sub)")
    }
}

@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
func loopDeviceFixtureAttachesAndDetaches() throws {
    let loop = try LoopDevice(size: 8 << 20)
    #expect(FileManager.default.fileExists(atPath: loop.path))
    let size = try Shell.bash("blockdev --getsize64 \(loop.path)")
    #expect(size.trimmingCharacters(in: .whitespacesAndNewlines) == "\(8 << 20)")
    loop.detach()
}
