import FileIO
import Foundation
import Testing
import TestSupport
@testable import ISOVerify

/// The implanted MD5 agrees with isomd5sum's own tools on real images.
@Suite struct ImplantedMD5Tests {
    private func implantedCopy() throws -> URL {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-md5")
        let iso = dir.appendingPathComponent("md5.iso")
        try FileManager.default.copyItem(at: try RealISOs.kairos, to: iso)
        try Shell.bash("implantisomd5 '\(iso.path)' >/dev/null")
        return iso
    }

    @Test func foundAndCheckedLikeCheckisomd5() throws {
        let iso = try implantedCopy()
        let info = try Shell.bash("checkisomd5 --md5sumonly '\(iso.path)'")
        let theirs = try #require(info.split(separator: "\n").first?.split(separator: " ").last.map(String.init))
        let file = try OpenFile.open(iso.path)
        defer { file.close() }
        let set = try ISOSanity.check(file).descriptors
        let implanted = try #require(try ImplantedMD5.parse(applicationUse: set.primaryApplicationUse))
        #expect(implanted.md5 == theirs)
        #expect(implanted.fragmentCount == 20)
        #expect(try implanted.compute(file, volumeBytes: set.volumeBytes) == theirs)
        #expect(try Shell.run("checkisomd5", [iso.path]).status == 0)
    }

    @Test func oneChangedByteFailsBothOursAndCheckisomd5() throws {
        let iso = try implantedCopy()
        try Shell.bash("printf 'X' | dd of='\(iso.path)' bs=1 seek=300000 conv=notrunc status=none")
        #expect(try Shell.run("checkisomd5", [iso.path]).status != 0)
        let inspection = try Inspector.inspect(image: iso, options: .init(deep: true))
        let check = try #require(inspection.checks.first { $0.id == "implanted-md5" })
        #expect(check.status == .fail)
        #expect(inspection.failure?.exitStatus == .mismatch)
    }

    @Test func withoutDeepItIsFoundButNotChecked() throws {
        let iso = try implantedCopy()
        let inspection = try Inspector.inspect(image: iso)
        #expect(inspection.checks.first { $0.id == "implanted-md5" }?.status == .notChecked)
        #expect(inspection.implantedMD5?.actual == nil)
    }
}
