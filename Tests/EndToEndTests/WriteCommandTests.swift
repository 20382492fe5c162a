import Foundation
import Testing
import TestSupport

/// `edgeflash write` as a technician runs it, against real loop devices. The device's bytes are
/// checked with `cmp`, independent of edgeflash's own read-back.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct WriteCommandTests {
    static let ipxe = "/usr/lib/ipxe/ipxe.iso"

    /// A copy of ipxe.iso in its own directory, so checksum files can be put beside it.
    func imageInTempDir(named name: String = "installer.iso") throws -> (dir: URL, image: String) {
        let dir = try TemporaryDirectory.make()
        let image = dir.appendingPathComponent(name).path
        try FileManager.default.copyItem(atPath: Self.ipxe, toPath: image)
        return (dir, image)
    }

    func sha256(_ path: String) throws -> String { String(try Shell.bash("sha256sum '\(path)'").prefix(64)) }

    func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "not a JSON object: \($0)")
        }
    }

    @Test func writesVerifiesAndSaysTheImageIsUnverified() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", Self.ipxe, loop.path, "--yes"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Verified"))
        #expect(result.stdout.contains("unverified image"))
        #expect(try Shell.run("cmp", ["-n", "2097152", Self.ipxe, loop.path]).succeeded)
    }

    /// An ISO with an El Torito BIOS record but no hybrid MBR boots from a CD, not from a stick:
    /// refused before anything is written, and --force writes it anyway.
    @Test func opticalOnlyISOIsRefusedUnlessForced() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("optical.iso").path
        try Shell.bash("""
            mkdir -p '\(dir.path)/root' && head -c 2048 /dev/urandom > '\(dir.path)/root/boot.img'
            xorriso -as mkisofs -V OPTICAL -b boot.img -no-emul-boot -boot-load-size 4 \\
              -o '\(image)' '\(dir.path)/root' >/dev/null 2>&1
            """)
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        try Shell.bash("printf 'OLDBYTES' | dd of=\(loop.path) bs=1 conv=notrunc status=none")

        let refused = try EdgeFlashBinary.run(["write", image, loop.path, "--yes"])
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("optical-only"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--force"), "the refusal names its override: \(refused.stderr)")
        #expect(try loop.read(offset: 0, count: 8) == Data("OLDBYTES".utf8), "nothing was written")

        let forced = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let size = try #require(FileManager.default.attributesOfItem(atPath: image)[.size] as? Int)
        #expect(try Shell.run("cmp", ["-n", "\(size)", image, loop.path]).succeeded)
    }

    @Test func checksumBesideTheImageIsUsed() throws {
        let (dir, image) = try imageInTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "\(try sha256(image))  installer.iso\n".write(toFile: image + ".sha256", atomically: true, encoding: .utf8)
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let last = try #require(try jsonLines(result.stdout).last)
        let checksum = try #require(last["checksum"] as? [String: Any])
        #expect(checksum["state"] as? String == "matched")
        #expect(checksum["source"] as? String == "installer.iso.sha256")
    }

    /// Was: with no room for the user-data volume, write erased the stick, wrote and verified the
    /// image, then refused (issue 9, class 4). Room is checked before the disk is touched.
    @Test func noRoomForTheVolumeIsRefusedBeforeTheDiskIsTouched() throws {
        let loop = try oldStick(size: 40 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", Self.ipxe, loop.path, "--yes", "--json",
                                              "--user-data", try userDataFile(validUserData)])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("no room"), "\(result.stderr)")
        let last = try #require(try jsonLines(result.stdout).last)
        #expect(last["ok"] as? Bool == false && last["readBack"] as? String == "not-run")
        #expect(last["firstMiB"] == nil, "nothing was written, so nothing was blanked")
        #expect(try stillOld(loop), "the old stick is untouched")
    }

    /// Was: a pipe (`<(curl ...)`, a FIFO) was called "empty". It is named for what it is, before
    /// it is opened (a FIFO with no writer would block) and before the disk is touched.
    @Test func aPipeAsImageIsRefusedByName() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("installer.iso").path
        try Shell.bash("mkfifo '\(fifo)'")
        let loop = try oldStick()
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", fifo, loop.path, "--yes"])
        #expect(result.status == 6)
        #expect(result.stderr.contains("\(fifo) is a pipe (FIFO), not an image file"), "\(result.stderr)")
        #expect(result.stderr.contains("Save the stream to a file first"), "the hint says what to do: \(result.stderr)")
        let piped = try Shell.run("bash", ["-c", "'\(EdgeFlashBinary.url.path)' write <(cat '\(Self.ipxe)') '\(loop.path)' --yes"])
        #expect(piped.status == 6 && piped.stderr.contains("is a pipe (FIFO)"), "\(piped.stderr)")
        #expect(try stillOld(loop))
    }

    @Test func checksumMismatchBesideTheImageWritesNothingBootable() throws {
        let (dir, image) = try imageInTempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let wrong = String(repeating: "ab", count: 32)
        try "\(wrong)  installer.iso\n".write(toFile: image + ".sha256", atomically: true, encoding: .utf8)
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes"])
        #expect(result.status == 4)
        #expect(result.stderr.contains(wrong), "both hashes are printed: \(result.stderr)")
        #expect(result.stderr.contains(try sha256(image)))
        #expect(try loop.read(offset: 0, count: 1 << 20).allSatisfy { $0 == 0 }, "the first MiB must not be the image's")
    }

    @Test func aTruncatedISOIsRefusedBeforeWriting() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let partial = dir.appendingPathComponent("installer.iso").path
        try Shell.bash("head -c 1048576 '\(Self.ipxe)' > '\(partial)'")
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", partial, loop.path, "--yes"])
        #expect(result.status == 6)
        #expect(result.stderr.contains("truncated"))
        #expect(try loop.read(offset: 0, count: 1 << 20).allSatisfy { $0 == 0 }, "nothing written")
    }

    @Test func aBusyDeviceIsRefusedNamingWhatHoldsIt() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        // Another program holds the disk exclusively: a shell with an O_EXCL descriptor would be
        // ideal; a mounted ext4 on the whole disk does the same at the kernel level.
        try Shell.bash("mkfs.ext4 -q '\(loop.path)'")
        let mountpoint = try TemporaryDirectory.make(prefix: "edgeflash-busy")
        try Shell.bash("mount '\(loop.path)' '\(mountpoint.path)'")
        defer { _ = try? Shell.run("umount", [mountpoint.path]); try? FileManager.default.removeItem(at: mountpoint) }
        let result = try EdgeFlashBinary.run(["write", Self.ipxe, loop.path, "--yes"])
        #expect(result.status == 3)
        #expect(result.stderr.contains(mountpoint.path), "\(result.stderr)")
    }

    @Test func withoutATerminalAndWithoutYesNothingIsWritten() throws {
        let loop = try oldStick()
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", Self.ipxe, loop.path])
        #expect(result.status == 7)
        #expect(result.stderr.contains("--yes"))
        #expect(try stillOld(loop))
    }

    /// Was: a directory opened as an image of 4 KiB and failed at its first read, after the disk's
    /// first MiB had been zeroed.
    @Test func aDirectoryAsImageIsRefusedBeforeTheDiskIsTouched() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let loop = try oldStick()
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", dir.path, loop.path, "--yes"])
        #expect(result.status == 6)
        #expect(result.stderr.contains("is a directory"), "\(result.stderr)")
        #expect(try stillOld(loop))
    }

    /// A refused target is the one thing said: the unverified-image notice waits until the target
    /// is accepted. And with stderr not a terminal, no progress line and no escape codes reach it.
    @Test func stderrHoldsOnlyWhatMattersAndNoTerminalCodes() throws {
        let refused = try EdgeFlashBinary.run(["write", Self.ipxe, "/dev/edgeflash-no-such-disk", "--yes"])
        #expect(refused.status == 3)
        #expect(refused.stderr.hasPrefix("edgeflash: /dev/edgeflash-no-such-disk"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("unverified"))

        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let written = try EdgeFlashBinary.run(["write", Self.ipxe, loop.path, "--yes"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stderr.contains("unverified image"))
        #expect(!written.stderr.contains("\u{1B}") && !written.stderr.contains("\r"), "\(written.stderr)")
        #expect(!written.stderr.contains("verify "))
    }

    @Test func jsonEmitsProgressLinesAndOneFinalResult() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", Self.ipxe, loop.path, "--yes", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try jsonLines(result.stdout)
        #expect(lines.dropLast().allSatisfy { $0["type"] as? String == "progress" })
        #expect(lines.contains { $0["phase"] as? String == "verify" })
        let last = try #require(lines.last)
        #expect(last["type"] as? String == "result")
        #expect(last["ok"] as? Bool == true)
        #expect(last["readBack"] as? String == "matched")
        #expect(last["bytesWritten"] as? Int == 2_097_152)
    }

    @Test func noVerifySkipsTheReadBack() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", Self.ipxe, loop.path, "--yes", "--no-verify", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let last = try #require(try jsonLines(result.stdout).last)
        #expect(last["readBack"] as? String == "skipped")
        #expect(try Shell.run("cmp", ["-n", "2097152", Self.ipxe, loop.path]).succeeded)
    }

    @Test func sigintMidWriteStopsWith130AndSaysTheDeviceIsIncomplete() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 3 GiB of zeros: cheap to make (sparse), long enough to write that SIGINT lands mid-write.
        let image = dir.appendingPathComponent("big.img").path
        try Shell.bash("truncate -s 3G '\(image)'")
        let loop = try LoopDevice(size: 3 << 30)
        defer { loop.detach() }

        let process = Process()
        process.executableURL = EdgeFlashBinary.url
        process.arguments = ["write", image, loop.path, "--yes", "--json"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Wait for the first progress event of the write phase, then interrupt.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("\"phase\":\"write\"") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        kill(process.processIdentifier, SIGINT)
        let rest = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(stderr.contains("incomplete"))
        let last = try #require(try jsonLines(String(decoding: seen + rest, as: UTF8.self)).last)
        #expect(last["exitStatus"] as? Int == 130)
        #expect(try loop.read(offset: 0, count: 1 << 20).allSatisfy { $0 == 0 })
    }
}
