import Foundation
import Testing
import TestSupport

/// What `write`, `inspect` and `verify` make of inputs that are not the plain or gzip/xz/zstd image
/// they expect (tester's reproductions of issue 11): each refused before the stick is touched, or
/// read as what it is, on real loop devices.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct ImageInputTests {
    static let iso = "/usr/lib/ipxe/ipxe.iso"
    static let directory: URL = {
        let dir = try! TemporaryDirectory.make(prefix: "edgeflash-inputs")
        try! Shell.bash("""
            cd '\(dir.path)'
            cp '\(iso)' installer.iso
            xz -c < /dev/null > empty.img.xz && zstd -q -c < /dev/null > empty.img.zst
            pzstd -q -c installer.iso > parallel.iso.zst
            bzip2 -kc installer.iso > installer.iso.bz2 && xz --format=lzma -c installer.iso > installer.iso.lzma
            truncate -s 8M disk.img && sgdisk -o -n1:2048:0 disk.img >/dev/null
            bmaptool create disk.img -o bmap.xml 2>/dev/null && sha256sum disk.img > disk.img.sha256
            head -c 4M /dev/urandom | zstd -q --long=28 > long.img.zst
            head -c 64K /dev/urandom | xz -T1 --lzma2=preset=0,dict=1536MiB > bigdict.img.xz
            xz -c installer.iso > whole.iso.xz && head -c 500000 whole.iso.xz > cut.iso.xz
            """)
        return dir
    }()
    func path(_ name: String) -> String { Self.directory.appendingPathComponent(name).path }
    func sha256(_ path: String) throws -> String { String(try Shell.bash("sha256sum '\(path)'").prefix(64)) }

    /// A stick that holds the ISO, so a write that touched it would show.
    func stickHoldingTheISO() throws -> LoopDevice {
        let loop = try LoopDevice(size: 16 << 20)
        try Shell.bash("dd if='\(Self.iso)' of=\(loop.path) bs=1M oflag=direct status=none")
        return loop
    }

    /// Runs `write IMAGE DEV --yes` on a stick holding the ISO; returns the result and whether
    /// the stick was left as it was.
    func write(_ image: String, _ extra: [String] = []) throws -> (result: ShellResult, untouched: Bool) {
        let loop = try stickHoldingTheISO()
        defer { loop.detach() }
        let before = try sha256(loop.path)
        let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"] + extra)
        return (result, try sha256(loop.path) == before)
    }

    /// Was: written as 0 bytes, "Verified", exit 0, the stick's first and last MiB wiped.
    @Test func anXzOrZstdImageStatingNoBytesIsRefusedBeforeTheStickIsTouched() throws {
        for name in ["empty.img.xz", "empty.img.zst"] {
            let (result, untouched) = try write(path(name))
            #expect(result.status == 6, "\(name): \(result.stderr)")
            #expect(result.stderr.contains("decompresses to nothing"), "\(name): \(result.stderr)")
            #expect(!result.stdout.contains("Verified"), "\(name)")
            #expect(untouched, "\(name): the stick was touched")
        }
    }

    /// Was: pzstd's output (a skippable frame first) was written raw and "Verified" against itself.
    @Test func aZstdImageThatStartsWithASkippableFrameIsWrittenDecoded() throws {
        let loop = try LoopDevice(size: 16 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", path("parallel.iso.zst"), loop.path, "--yes", "--no-probe"])
        #expect(result.status == 0, "\(result.stderr)")
        let size = try #require(FileManager.default.attributesOfItem(atPath: Self.iso)[.size] as? Int)
        #expect(try Shell.run("cmp", ["-n", "\(size)", Self.iso, loop.path]).succeeded, "the stick holds the decoded ISO")
        let inspect = try EdgeFlashBinary.run(["inspect", path("parallel.iso.zst")])
        #expect(inspect.status == 0 && inspect.stdout.contains("compressed: zstd"), "\(inspect.stdout)\(inspect.stderr)")
    }

    /// Was: bzip2, legacy lzma, a bmap or a checksum file given as the image were written raw and
    /// "Verified". One rule refuses them in write, inspect and verify alike.
    @Test func unsupportedFormatsAndFilesBesideTheImageAreRefusedByWriteInspectAndVerify() throws {
        for (name, says) in [("installer.iso.bz2", "is bzip2-compressed, which edgeflash does not decode"),
                             ("installer.iso.lzma", "is legacy LZMA (.lzma), which edgeflash does not decode"),
                             ("bmap.xml", "is not a disk image: it looks like a bmap"),
                             ("disk.img.sha256", "is not a disk image: it looks like a checksum list")] {
            let (result, untouched) = try write(path(name))
            #expect(result.status == 6, "\(name): \(result.stderr)")
            #expect(result.stderr.contains(says), "\(name): \(result.stderr)")
            #expect(untouched, "\(name): the stick was touched")
            for command in [["inspect"], ["verify"]] {
                let other = try EdgeFlashBinary.run(command + [path(name)])
                #expect(other.status == 6 && other.stderr.contains(says), "\(command) \(name): \(other.stderr)")
            }
        }
    }

    /// Was: beside installer.iso.xz, a SHA256SUMS entry for installer.iso was ignored ("no
    /// checksum"), a wrong one written as unverified. Now it checks the decoded image.
    @Test func aChecksumOfTheDecompressedImageBesideItIsUsed() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("installer.iso.xz").path
        try Shell.bash("xz -c '\(Self.iso)' > '\(image)'")
        let sums = dir.appendingPathComponent("SHA256SUMS").path
        try "\(String(repeating: "0", count: 64))  installer.iso\n".write(toFile: sums, atomically: true, encoding: .utf8)
        let loop = try stickHoldingTheISO()
        defer { loop.detach() }
        let wrong = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"])
        #expect(wrong.status == 4, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("checksum mismatch"), "\(wrong.stderr)")
        #expect(!(try Blkid.findsSignature(on: loop.path)), "LBA 0 blank")
        try "\(try sha256(Self.iso))  installer.iso\n".write(toFile: sums, atomically: true, encoding: .utf8)
        let right = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"])
        #expect(right.status == 0, "\(right.stderr)")
        #expect(right.stdout.contains("Checksum: SHA256 matches SHA256SUMS"), "\(right.stdout)")
        let verify = try EdgeFlashBinary.run(["verify", image])
        #expect(verify.status == 0 && verify.stdout.contains("SHA256 matches SHA256SUMS"), "\(verify.stdout)\(verify.stderr)")
        let inspect = try EdgeFlashBinary.run(["inspect", "--deep", image])
        #expect(inspect.status == 0 && inspect.stdout.contains("[ ok ] checksum      sha256 matches SHA256SUMS"), "\(inspect.stdout)\(inspect.stderr)")
    }

    /// Was: "corrupt ... the download is damaged" (exit 6) for valid images whose decoder needs
    /// more memory than edgeflash allows.
    @Test func anImageNeedingMoreMemoryThanAllowedIsRefusedBeforeTheStickIsTouched() throws {
        for (name, says) in [("long.img.zst", "needs a 256 MiB window to decode"), ("bigdict.img.xz", "of memory to decode (its dictionary")] {
            let (result, untouched) = try write(path(name))
            #expect(result.status == 3, "\(name): \(result.stderr)")
            #expect(result.stderr.contains(says) && result.stderr.contains("The file is not damaged"), "\(name): \(result.stderr)")
            #expect(!result.stderr.contains("corrupt"), "\(name): \(result.stderr)")
            #expect(untouched, "\(name): the stick was touched")
        }
    }

    /// Was: `inspect --deep` passed a truncated .iso.xz (its first MiBs parse) and `verify` said
    /// only "nothing was checked".
    @Test func inspectDeepAndVerifyNameATruncatedStream() throws {
        let says = "is truncated: the xz data ends at byte offset 500000 of the compressed file"
        let inspect = try EdgeFlashBinary.run(["inspect", "--deep", path("cut.iso.xz")])
        #expect(inspect.status == 6, "\(inspect.stdout)\(inspect.stderr)")
        #expect(inspect.stdout.contains("[FAIL] compression") && inspect.stderr.contains(says), "\(inspect.stdout)\(inspect.stderr)")
        let verify = try EdgeFlashBinary.run(["verify", path("cut.iso.xz")])
        #expect(verify.status == 6 && verify.stderr.contains(says), "\(verify.stderr)")
        let whole = try EdgeFlashBinary.run(["verify", path("parallel.iso.zst")])
        #expect(whole.status == 1 && whole.stderr.contains("nothing was checked but that its zstd stream decodes whole"), "\(whole.stderr)")
    }

    /// Was: with a SHA256SUMS naming both a compressed image and the image it decompresses to,
    /// `inspect --deep` checked only the compressed file's line and passed a wrong decoded line
    /// that `write` refuses. Now both lines are checked, each in a `checksum` row of its own.
    @Test func inspectDeepChecksBothLinesOfAListThatNamesBoth() throws {
        let directory = try TemporaryDirectory.make(prefix: "edgeflash-both-lines")
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = directory.appendingPathComponent("installer.iso.xz").path
        try Shell.bash("cp '\(path("whole.iso.xz"))' '\(image)'")
        let stored = try sha256(image), decoded = try sha256(Self.iso), wrong = String(repeating: "0", count: 64)
        for (decodedLine, status) in [(decoded, Int32(0)), (wrong, Int32(4))] {
            try "\(stored)  installer.iso.xz\n\(decodedLine)  installer.iso\n".write(toFile: directory.appendingPathComponent("SHA256SUMS").path,
                                                                                 atomically: true, encoding: .utf8)
            let inspect = try EdgeFlashBinary.run(["inspect", "--deep", image])
            let text = inspect.stdout + inspect.stderr
            #expect(inspect.status == status, "\(text)")
            #expect(text.contains("[ ok ] checksum      sha256 (of the compressed file) matches SHA256SUMS"), "\(text)")
            let decodedRow = status == 0 ? "sha256 (of the decoded image) matches SHA256SUMS"
                                         : "sha256 (of the decoded image) mismatch: SHA256SUMS says \(wrong), the decoded image is \(decoded)"
            #expect(text.contains(decodedRow), "\(text)")
            let json = try EdgeFlashBinary.run(["inspect", "--deep", "--json", image]).stdout
            #expect(json.contains("\"decodedChecksum\"") && json.contains("\"actual\":\"\(decoded)\""), "\(json)")
        }
    }

    /// Was: the write went ahead and gpgv's "No public key" blamed the bmap's signature.
    @Test func aKeyringThatDoesNotExistIsSaidBeforeTheStickIsTouched() throws {
        let (result, untouched) = try write(path("disk.img"), ["--keyring", path("typo.gpg")])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--keyring \(path("typo.gpg")): no such file"), "\(result.stderr)")
        #expect(untouched)
    }
}
