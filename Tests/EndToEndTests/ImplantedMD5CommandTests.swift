import Foundation
import Testing
import TestSupport

/// With no checksum file or flag, `verify` and `write` check the MD5 implanted by implantisomd5.
@Suite(.serialized)
struct ImplantedMD5CommandTests {
    /// A copy of `source` (or a fresh xorriso ISO) in its own directory, implanted when asked.
    func image(from source: String? = nil, implant: Bool = true) throws -> String {
        let dir = try TemporaryDirectory.make()
        let path = dir.appendingPathComponent("installer.iso").path
        if let source {
            try FileManager.default.copyItem(atPath: source, toPath: path)
        } else {
            try Shell.bash("""
                mkdir -p '\(dir.path)/root' && head -c 300000 /dev/urandom > '\(dir.path)/root/payload'
                xorriso -as mkisofs -quiet -V MD5TEST -o '\(path)' '\(dir.path)/root'
                """)
        }
        if implant { try Shell.bash("implantisomd5 '\(path)' >/dev/null") }
        return path
    }

    func flip(_ path: String, at offset: Int) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data([byte ^ 0xFF]))
    }

    @Test func verifyChecksTheImplantedMD5AndSaysSo() throws {
        let path = try image()
        let result = try EdgeFlashBinary.run(["verify", path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let checksum = try #require(object["checksum"] as? [String: Any])
        #expect(checksum["source"] as? String == "implanted MD5")
        #expect(checksum["algorithm"] as? String == "md5" && checksum["state"] as? String == "matched")
        #expect(try EdgeFlashBinary.run(["verify", path]).stdout.contains("implanted MD5 matches"))
    }

    @Test func verifyFailsWhenAByteInsideTheVolumeChanged() throws {
        let path = try image()
        try flip(path, at: 100_000)
        let result = try EdgeFlashBinary.run(["verify", path])
        #expect(result.status == 4)
        #expect(result.stderr.contains("implanted MD5"), "\(result.stderr)")
    }

    @Test func anImageWithoutImplantedMD5IsStillUnverified() throws {
        let result = try EdgeFlashBinary.run(["verify", try image(implant: false)])
        #expect(result.status == 1)
        #expect(result.stderr.contains("unverified"), "\(result.stderr)")
    }

    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func writeChecksTheImplantedMD5WhileWriting() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let good = try image(from: InstallerImages.ipxe)
        let written = try EdgeFlashBinary.run(["write", good, loop.path, "--yes"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.contains("Checksum: implanted MD5 matches."), "\(written.stdout)")

        // One byte changed after the first MiB, inside what the MD5 covers: the stick is left blank.
        let bad = try image(from: InstallerImages.ipxe)
        try flip(bad, at: 1_200_000)
        let refused = try EdgeFlashBinary.run(["write", bad, loop.path, "--yes"])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("implanted MD5"), "\(refused.stderr)")
        #expect(try loop.read(offset: 0, count: 1 << 20).allSatisfy { $0 == 0 }, "the first MiB must not be the image's")
    }
}
