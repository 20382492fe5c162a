import Foundation
import Testing
import TestSupport

/// `edgeflash verify`: checksums beside the image or given by hand, and `--against` a device.
@Suite(.serialized)
struct VerifyCommandTests {
    static let ipxe = "/usr/lib/ipxe/ipxe.iso"

    func sha256(_ path: String) throws -> String { String(try Shell.bash("sha256sum '\(path)'").prefix(64)) }

    @Test func aMatchingSha256Passes() throws {
        let result = try EdgeFlashBinary.run(["verify", Self.ipxe, "--sha256", try sha256(Self.ipxe)])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("SHA256 matches --sha256"))
    }

    @Test func aWrongSha256PrintsBothHashesAndFails() throws {
        let wrong = String(repeating: "0", count: 64)
        let result = try EdgeFlashBinary.run(["verify", Self.ipxe, "--sha256", wrong])
        #expect(result.status == 4)
        #expect(result.stderr.contains(wrong))
        #expect(result.stderr.contains(try sha256(Self.ipxe)))
    }

    @Test func noChecksumIsUnverifiedNeverAPass() throws {
        let result = try EdgeFlashBinary.run(["verify", Self.ipxe, "--json"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("unverified"))
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["ok"] as? Bool == false)
    }

    @Test func aChecksumFileGivenByHandIsUsedAndTheVolumeIsNamed() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sums = dir.appendingPathComponent("SHA256SUMS").path
        try "\(try sha256(Self.ipxe))  ipxe.iso\n".write(toFile: sums, atomically: true, encoding: .utf8)
        let result = try EdgeFlashBinary.run(["verify", Self.ipxe, "--checksum", sums])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("SHA256 matches SHA256SUMS"))
        #expect(result.stdout.contains("ISO 9660 volume"))
    }

    @Test func aTruncatedDownloadIsNamedAsSuch() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let partial = dir.appendingPathComponent("installer.iso").path
        try Shell.bash("head -c 1048576 '\(Self.ipxe)' > '\(partial)'")
        let result = try EdgeFlashBinary.run(["verify", partial])
        #expect(result.status == 6)
        #expect(result.stderr.contains("truncated"), "\(result.stderr)")
    }

    @Test func badHexIsAUsageError() throws {
        let result = try EdgeFlashBinary.run(["verify", Self.ipxe, "--sha256", "xyz"])
        #expect(result.status == 64)
    }

    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func againstCatchesOneByteChangedOnTheDevice() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", Self.ipxe, loop.path, "--yes", "--no-verify"])
        #expect(write.status == 0, "\(write.stderr)")
        let good = try EdgeFlashBinary.run(["verify", Self.ipxe, "--against", loop.path, "--sha256", try sha256(Self.ipxe)])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("match"))

        // One byte flipped on the stick, through the device itself.
        let offset = 1_500_000
        try Shell.bash("""
            b=$(dd if='\(loop.path)' bs=1 skip=\(offset) count=1 status=none | od -An -tu1 | tr -d ' ')
            printf "\\\\$(printf '%03o' $(( b ^ 255 )))" | dd of='\(loop.path)' bs=1 seek=\(offset) conv=notrunc,fsync status=none
            """)
        let bad = try EdgeFlashBinary.run(["verify", Self.ipxe, "--against", loop.path])
        #expect(bad.status == 4)
        #expect(bad.stderr.contains("byte offset \(offset)"), "\(bad.stderr)")
    }
}
