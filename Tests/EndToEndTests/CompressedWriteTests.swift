import Foundation
import Testing
import TestSupport

/// `edgeflash write` and `inspect` with gzip, xz and zstd images of a real ISO, on real loop
/// devices; the device's bytes are checked with `cmp`, its first MiB with `blkid -p`.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct CompressedWriteTests {
    static let iso = "/usr/lib/grub-rescue/grub-rescue-cdrom.iso"
    static let shared: (images: CompressedImages, directory: URL) = {
        let directory = try! TemporaryDirectory.make(prefix: "edgeflash-compressed")
        return (try! CompressedImages.make(from: iso, in: directory), directory)
    }()
    var images: CompressedImages { Self.shared.images }
    var directory: URL { Self.shared.directory }
    var isoSize: Int { (try? FileManager.default.attributesOfItem(atPath: Self.iso)[.size] as? Int) ?? 0 }

    func sha256(_ path: String) throws -> String { String(try Shell.bash("sha256sum '\(path)'").prefix(64)) }

    /// A loop device holding the plain ISO, so a failure that did not blank it would leave it bootable.
    func stickHoldingTheISO(size: Int64 = 64 << 20) throws -> LoopDevice {
        let loop = try LoopDevice(size: size)
        try Shell.bash("dd if='\(Self.iso)' of=\(loop.path) bs=1M oflag=direct status=none")
        #expect(try Blkid.findsSignature(on: loop.path), "the stick looks bootable before the write")
        return loop
    }

    /// `edgeflash write IMAGE STICK` with the example sites' user-data for berlin, logged in `log`.
    func writeForBerlin(_ image: String, to loop: LoopDevice, log: String) throws -> ShellResult {
        try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe",
                                 "--user-data", examples.appendingPathComponent("site-template.yaml").path,
                                 "--sites", examples.appendingPathComponent("sites.csv").path, "--site", "berlin",
                                 "--log", directory.appendingPathComponent(log).path])
    }

    @Test func eachFormatIsWrittenAndReadsBackAsTheISO() throws {
        for image in images.all {
            let loop = try LoopDevice(size: 64 << 20)
            defer { loop.detach() }
            let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"])
            #expect(result.status == 0, "\(image): \(result.stderr)")
            #expect(result.stdout.contains("Verified"), "\(image)")
            #expect(try Shell.run("cmp", ["-n", "\(isoSize)", Self.iso, loop.path]).succeeded, "\(image)")
        }
    }

    @Test func aChecksumBesideTheCompressedFileIsOverItsStoredBytes() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("installer.iso.xz").path
        try FileManager.default.copyItem(atPath: images.xz, toPath: image)
        try "\(try sha256(image))  installer.iso.xz\n".write(toFile: dir.appendingPathComponent("SHA256SUMS").path,
                                                            atomically: true, encoding: .utf8)
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("SHA256 of the compressed file matches SHA256SUMS"), "\(result.stdout)")
    }

    @Test func sha256OfTheDecompressedImageIsAcceptedToo() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", images.zstd, loop.path, "--yes", "--no-probe",
                                              "--sha256", try sha256(Self.iso)])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Checksum: SHA256 matches --sha256"), "\(result.stdout)")
    }

    @Test func aWrongChecksumOfTheCompressedFileLeavesTheStickBlank() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("installer.iso.gz").path
        try FileManager.default.copyItem(atPath: images.gzip, toPath: image)
        try "\(String(repeating: "0", count: 64))  installer.iso.gz\n".write(toFile: image + ".sha256", atomically: true, encoding: .utf8)
        let loop = try stickHoldingTheISO()
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"])
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("checksum mismatch"), "\(result.stderr)")
        #expect(!(try Blkid.findsSignature(on: loop.path)), "LBA 0 blank")
    }

    /// Was: a wrong line for the decoded name (installer.iso) said "installer.iso.zst is not the
    /// image SHA256SUMS describes" and showed the decoded image's hash as that file's.
    @Test func aWrongChecksumOfTheDecodedImageNamesTheDecodedImage() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("installer.iso.zst").path
        try FileManager.default.copyItem(atPath: images.zstd, toPath: image)
        try "\(String(repeating: "0", count: 64))  installer.iso\n".write(toFile: dir.appendingPathComponent("SHA256SUMS").path, atomically: true, encoding: .utf8)
        let loop = try stickHoldingTheISO()
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"])
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("checksum mismatch: the decoded image of \(image) is not the image SHA256SUMS describes (its line for installer.iso)"), "\(result.stderr)")
        #expect(result.stderr.contains("actual   SHA256 \(try sha256(Self.iso)) (of the decoded image)"), "\(result.stderr)")
        // verify, of the image alone and against the stick, says it the same way.
        for arguments in [["verify", image], ["verify", image, "--against", loop.path]] {
            let verified = try EdgeFlashBinary.run(arguments)
            #expect(verified.status == 4, "\(arguments): \(verified.stderr)")
            #expect(verified.stderr.contains("checksum mismatch: the decoded image of \(image) is not the image SHA256SUMS describes"), "\(arguments): \(verified.stderr)")
        }
    }

    /// `installer.iso.xz` with a SHA256SUMS beside it that names it and `installer.iso`: the
    /// compressed file's line `stored`, the decoded image's `decoded` (nil: its right hash).
    func xzWithBothLines(stored: String? = nil, decoded: String? = nil) throws -> (directory: URL, image: String) {
        let dir = try TemporaryDirectory.make()
        let image = dir.appendingPathComponent("installer.iso.xz").path
        try FileManager.default.copyItem(atPath: images.xz, toPath: image)
        try "\(try stored ?? sha256(image))  installer.iso.xz\n\(try decoded ?? sha256(Self.iso))  installer.iso\n"
            .write(toFile: dir.appendingPathComponent("SHA256SUMS").path, atomically: true, encoding: .utf8)
        return (dir, image)
    }

    /// Was (tester S5): with both lines, only the compressed file's was checked; a wrong line for
    /// the decoded image was ignored and the write said "matches SHA256SUMS". Now both are checked.
    @Test func aListNamingTheCompressedFileAndTheDecodedImageHasBothLinesChecked() throws {
        let (dir, image) = try xzWithBothLines()
        defer { try? FileManager.default.removeItem(at: dir) }
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(result.stdout.split(separator: "\n").last)
        #expect(json.contains(#""covers":"compressed","decodedExpected":"\#(try sha256(Self.iso))""#), "\(json)")
        #expect(json.contains(#""state":"matched""#), "\(json)")
        #expect(try Shell.run("cmp", ["-n", "\(isoSize)", Self.iso, loop.path]).succeeded)
        for arguments in [["write", image, loop.path, "--yes", "--no-probe"], ["verify", image], ["verify", image, "--against", loop.path]] {
            let checked = try EdgeFlashBinary.run(arguments)
            #expect(checked.status == 0, "\(arguments): \(checked.stderr)")
            #expect(checked.stdout.contains("SHA256 of the compressed file and of the decoded image match SHA256SUMS"), "\(arguments): \(checked.stdout)")
        }
    }

    /// Either line wrong refuses the write (exit 4, the first MiB zeros) and fails `verify`, naming
    /// the bytes whose line did not match: the decoded image's (its line for installer.iso), or the
    /// compressed file's.
    @Test func aWrongLineForEitherNameIsAMismatchNamingIt() throws {
        let wrong = String(repeating: "0", count: 64)
        for (stored, decoded, says, covers) in [
            (nil, wrong, "the decoded image of %@ is not the image SHA256SUMS describes (its line for installer.iso)", "decoded"),
            (wrong, nil, "checksum mismatch: %@ is not the image SHA256SUMS describes\n", "compressed"),
        ] {
            let (dir, image) = try xzWithBothLines(stored: stored, decoded: decoded)
            defer { try? FileManager.default.removeItem(at: dir) }
            let message = says.replacingOccurrences(of: "%@", with: image)
            let loop = try stickHoldingTheISO()
            defer { loop.detach() }
            let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--json"])
            #expect(result.status == 4, "\(result.stdout)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(result.stdout.contains(#""covers":"\#(covers)""#) && result.stdout.contains(#""state":"mismatch""#), "\(result.stdout)")
            #expect(try Shell.run("cmp", ["-n", "\(1 << 20)", "/dev/zero", loop.path]).succeeded, "\(image): first MiB zeros")
            let verified = try EdgeFlashBinary.run(["verify", image])
            #expect(verified.status == 4, "\(verified.stderr)")
            #expect(verified.stderr.contains(message), "\(verified.stderr)")
        }
    }

    /// The damage lies past what the write's ISO checks read, so it is found while writing: exit 6,
    /// the compressed offset named, the stick blanked.
    @Test func corruptTruncatedAndTrailingGarbageStreamsAreRefusedWithTheStickBlank() throws {
        let xzSize = try #require(FileManager.default.attributesOfItem(atPath: images.xz)[.size] as? Int)
        let zstdSize = try #require(FileManager.default.attributesOfItem(atPath: images.zstd)[.size] as? Int)
        let gzipSize = try #require(FileManager.default.attributesOfItem(atPath: images.gzip)[.size] as? Int)
        let cases: [(path: String, says: String)] = [
            (try CompressedImages.truncated(images.xz, to: xzSize * 19 / 20, as: directory.appendingPathComponent("cut.iso.xz").path),
             "truncated: the xz data ends at byte offset \(xzSize * 19 / 20)"),
            (try CompressedImages.corrupted(images.zstd, at: zstdSize * 9 / 10, as: directory.appendingPathComponent("bad.iso.zst").path),
             "in the zstd data between byte offsets 0 and"),
            (try CompressedImages.withTrailing("garbage", after: images.gzip, as: directory.appendingPathComponent("junk.iso.gz").path),
             "trailing garbage at byte offset \(gzipSize)"),
        ]
        for (path, says) in cases {
            let loop = try stickHoldingTheISO()
            defer { loop.detach() }
            let result = try EdgeFlashBinary.run(["write", path, loop.path, "--yes", "--no-probe"])
            #expect(result.status == 6, "\(path): \(result.stderr)")
            #expect(result.stderr.contains(says), "\(path): \(result.stderr)")
            #expect(result.stderr.contains("was left blank"), "\(path): \(result.stderr)")
            #expect(!(try Blkid.findsSignature(on: loop.path)), "\(path): LBA 0 blank")
        }
    }

    @Test func aStreamLargerThanTheStickIsRefusedMidWay() throws {
        let big = directory.appendingPathComponent("big.img.gz").path
        try Shell.bash("(cat '\(Self.iso)'; head -c 24M /dev/zero) | gzip -1 > '\(big)'")
        let loop = try stickHoldingTheISO(size: 16 << 20)
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", big, loop.path, "--yes", "--no-probe"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("the image is larger than the stick: \(16 << 20) bytes written"), "\(result.stderr)")
        #expect(!(try Blkid.findsSignature(on: loop.path)), "LBA 0 blank")
    }

    var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples")
    }

    /// A site's user-data after a compressed ISO: its volume planned against the decoded image's
    /// own tables and size, then found by `check` and `verify --against`.
    @Test func aCompressedISOGetsItsSitesUserData() throws {
        let loop = try LoopDevice(size: 128 << 20)
        defer { loop.detach() }
        let log = directory.appendingPathComponent("site.jsonl").path
        let write = try EdgeFlashBinary.run(["write", images.xz, loop.path, "--yes", "--no-probe",
                                             "--user-data", examples.appendingPathComponent("site-template.yaml").path,
                                             "--sites", examples.appendingPathComponent("sites.csv").path, "--site", "berlin", "--log", log])
        #expect(write.status == 0, "\(write.stderr)")
        let check = try EdgeFlashBinary.run(["check", loop.path, "--log", log])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("intact: the image grub-rescue-cdrom.iso.xz in the log"), "\(check.stdout)")
        #expect(check.stdout.contains(": site berlin"), "\(check.stdout)")
        let verify = try EdgeFlashBinary.run(["verify", images.xz, "--against", loop.path])
        #expect(verify.status == 0 && verify.stdout.contains("intact, user-data"), "\(verify.stdout)\(verify.stderr)")
    }

    /// A stream that does not state its size cannot have a volume planned after it; an ISO has no
    /// partition to grow. Both refused before anything is written.
    @Test func userDataOnAStreamAndGrowOnAnISOAreRefusedUntouched() throws {
        let loop = try stickHoldingTheISO()
        defer { loop.detach() }
        let before = try sha256(loop.path)
        let sites = try EdgeFlashBinary.run(["write", images.gzip, loop.path, "--yes", "--no-probe",
                                             "--user-data", examples.appendingPathComponent("site-template.yaml").path,
                                             "--sites", examples.appendingPathComponent("sites.csv").path, "--site", "berlin",
                                             "--log", directory.appendingPathComponent("sites.jsonl").path])
        #expect(sites.status == 3, "\(sites.stderr)")
        #expect(sites.stderr.contains("does not state its decompressed size (gzip stream)"), "\(sites.stderr)")
        let grow = try EdgeFlashBinary.run(["write", images.xz, loop.path, "--yes", "--no-probe", "--grow",
                                            "--log", directory.appendingPathComponent("grow.jsonl").path])
        #expect(grow.status == 3, "\(grow.stderr)")
        #expect(grow.stderr.contains("cannot --grow the last partition of \(images.xz): it is an ISO 9660 installer image"), "\(grow.stderr)")
        #expect(try sha256(loop.path) == before)
    }

    /// Was: a truncated xz or zstd file with `--user-data` was refused as a format that does not
    /// state its size (exit 3, "use an xz or zstd image"). Now it is called truncated (exit 6)
    /// before the stick is touched, and `inspect` says so too.
    @Test func aTruncatedImageWithUserDataIsCalledTruncatedUntouched() throws {
        let loop = try stickHoldingTheISO()
        defer { loop.detach() }
        let before = try sha256(loop.path)
        for (image, tool) in [(images.xz, "xz"), (images.zstd, "zstd")] {
            let cut = try CompressedImages.truncated(image, to: 1_000_000, as: image + ".cut")
            let write = try writeForBerlin(cut, to: loop, log: "cut.jsonl")
            #expect(write.status == 6, "\(cut): \(write.stderr)")
            #expect(write.stderr.contains("is truncated: the \(tool) data ends at byte offset 1000000 of the compressed file"), "\(write.stderr)")
            let inspect = try EdgeFlashBinary.run(["inspect", cut])
            #expect(inspect.status == 6, "\(inspect.stdout)")
            #expect(inspect.stdout.contains("compressed: \(tool), decompressed length not stated: the file is truncated or damaged"), "\(inspect.stdout)")
            #expect(inspect.stdout.contains("[FAIL] compression   \(cut) is truncated"), "\(inspect.stdout)")
        }
        #expect(try sha256(loop.path) == before)
    }

    /// Was: an xz file of two streams (`cat a.xz b.xz`) was refused with `--user-data` as stating no
    /// size; the streams' indexes state it, as `xz -l` shows.
    @Test func concatenatedXzStreamsAreWrittenWithUserData() throws {
        let joined = directory.appendingPathComponent("joined.iso.xz").path
        try Shell.bash("(head -c 1000000 '\(Self.iso)' | xz -T1 -c; tail -c +1000001 '\(Self.iso)' | xz -T1 -c) > '\(joined)'")
        let loop = try LoopDevice(size: 128 << 20)
        defer { loop.detach() }
        let write = try writeForBerlin(joined, to: loop, log: "joined.jsonl")
        #expect(write.status == 0, "\(write.stderr)")
        #expect(write.stdout.contains("Added CIDATA"), "\(write.stdout)")
        // The image after its first sector (where the MBR now holds the CIDATA partition too).
        #expect(try Shell.run("cmp", ["-i", "512", "-n", "\(isoSize - 512)", Self.iso, loop.path]).succeeded)
    }

    /// `verify --against` and `check` read a compressed image decoded, as the stick holds it: the
    /// flash log names it by the decoded image's size and SHA-256, so `check` finds it there; a
    /// byte changed on the stick afterwards is reported by both.
    @Test func verifyAndCheckReadTheImageDecoded() throws {
        let disk = directory.appendingPathComponent("disk.img").path
        try Shell.bash("""
            truncate -s 8M '\(disk)' && printf 'label: dos\\n2048,,83\\n' | sfdisk -q '\(disk)'
            head -c 6M /dev/urandom | dd of='\(disk)' bs=1M seek=1 conv=notrunc status=none
            zstd -qkc '\(disk)' > '\(disk).zst'
            """)
        let log = directory.appendingPathComponent("verify-check.jsonl").path
        for (image, plain) in [(disk + ".zst", disk), (images.xz, Self.iso)] {
            let name = URL(fileURLWithPath: image).lastPathComponent
            let loop = try LoopDevice(size: 64 << 20)
            defer { loop.detach() }
            let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--log", log])
            #expect(write.status == 0, "\(image): \(write.stderr)")
            let record = try #require(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").last)
            let logged = try #require(try JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any])
            #expect(logged["imageSHA256"] as? String == (try sha256(plain)), "\(image)")
            #expect(logged["imageSize"] as? Int == (try FileManager.default.attributesOfItem(atPath: plain)[.size] as? Int), "\(image)")

            let verify = try EdgeFlashBinary.run(["verify", image, "--against", loop.path])
            #expect(verify.status == 0, "\(image): \(verify.stderr)")
            #expect(verify.stdout.contains("\(loop.path): its first"), "\(image): \(verify.stdout)")
            let check = try EdgeFlashBinary.run(["check", loop.path, "--log", log])
            #expect(check.stdout.contains("intact: the image \(name) in the log"), "\(image): \(check.stdout)\(check.stderr)")
            let against = try EdgeFlashBinary.run(["check", loop.path, "--image", image, "--log", log])
            #expect(against.stdout.contains("intact: matches \(image)"), "\(image): \(against.stdout)\(against.stderr)")

            let altered: Int64 = 3 << 20
            try Shell.bash("printf 'X' | dd of='\(loop.path)' bs=1 seek=\(altered) conv=notrunc,fsync status=none")
            let bad = try EdgeFlashBinary.run(["verify", image, "--against", loop.path])
            #expect(bad.status == 4 && bad.stderr.contains("at byte offset \(altered)"), "\(image): \(bad.stderr)")
            let changed = try EdgeFlashBinary.run(["check", loop.path, "--log", log])
            #expect(changed.status == 4 && changed.stdout.contains("which is not the image the log says was written to it (\(name)"),
                    "\(image): \(changed.stdout)\(changed.stderr)")
            let differs = try EdgeFlashBinary.run(["check", loop.path, "--image", image, "--log", log])
            #expect(differs.status == 4 && differs.stdout.contains("differs from \(image) at byte offset \(altered)"), "\(image): \(differs.stdout)")
        }
    }

    /// `verify --against` with a gzip image, compared as it decodes: a stick shorter than the image
    /// is named with the image's whole length (decoded on past the stick's end), and a truncated
    /// stream or one with garbage after it fails as a damaged file (exit 6), not as a stick that
    /// differs.
    @Test func verifyAgainstAGzipStreamNamesAShortStickAndADamagedStream() throws {
        let small = try LoopDevice(size: 2 << 20)
        defer { small.detach() }
        let short = try EdgeFlashBinary.run(["verify", images.gzip, "--against", small.path])
        #expect(short.status == 4, "\(short.stderr)")
        #expect(short.stderr.contains("\(small.path) (2.1 MB) is smaller than \(images.gzip) (5.1 MB): it cannot hold this image"), "\(short.stderr)")

        let loop = try stickHoldingTheISO()
        defer { loop.detach() }
        let gzipSize = try #require(FileManager.default.attributesOfItem(atPath: images.gzip)[.size] as? Int)
        let cases: [(path: String, says: String)] = [
            (try CompressedImages.truncated(images.gzip, to: gzipSize * 19 / 20, as: directory.appendingPathComponent("cut-verify.iso.gz").path),
             "truncated: the gzip data ends at byte offset"),
            (try CompressedImages.withTrailing("garbage", after: images.gzip, as: directory.appendingPathComponent("junk-verify.iso.gz").path),
             "trailing garbage at byte offset \(gzipSize)"),
        ]
        for (path, says) in cases {
            let result = try EdgeFlashBinary.run(["verify", path, "--against", loop.path])
            #expect(result.status == 6 && result.stderr.contains(says), "\(path): \(result.stderr)")
        }
    }

    /// `verify --against` decodes a gzip image (no header states its length) once, comparing the
    /// stick as it goes. Counted by the kernel: `rchar`, the bytes read(2) returned, which a shell's
    /// /proc/PID/io adds up for the children it waited for. The image is random, so gzip stores
    /// it as large as it is, and longer than the 64 MiB the parsers decode: a second decode
    /// would read the compressed file twice. Slack: the stick's reader runs at most 4 chunks of
    /// 4 MiB ahead of the stream's end, and the parsers read the first MiBs.
    @Test func verifyAgainstDecodesAGzipStreamOnce() throws {
        let image = directory.appendingPathComponent("random.img").path
        try Shell.bash("head -c 80M /dev/urandom > '\(image)' && gzip -1 -c '\(image)' > '\(image).gz' && rm '\(image)'")
        defer { try? FileManager.default.removeItem(atPath: image + ".gz") }
        let loop = try LoopDevice(size: 96 << 20)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", image + ".gz", loop.path, "--yes", "--no-probe"])
        #expect(write.status == 0, "\(write.stderr)")
        let counted = try Shell.bash("""
            '\(EdgeFlashBinary.url.path)' verify '\(image).gz' --against \(loop.path) >/dev/null 2>&1 && echo ok
            sed -n 's/^rchar: //p' /proc/$$/io
            """).split(separator: "\n")
        #expect(counted.first == "ok", "verify failed")
        let read = try #require(Int64(counted.last ?? ""))
        let compressed = try #require(try FileManager.default.attributesOfItem(atPath: image + ".gz")[.size] as? Int64)
        let stick: Int64 = 80 << 20
        #expect(read < stick + compressed * 3 / 2 + (24 << 20),
                "read \(read) bytes: the \(stick)-byte stick and the \(compressed)-byte file more than once")
    }

    /// `verify` without a device: a digest of the decompressed image is checked over the decoded
    /// bytes, one of the compressed file over the file as stored; any other is a mismatch.
    @Test func verifyChecksADigestOfEitherBytes() throws {
        let decoded = try EdgeFlashBinary.run(["verify", images.xz, "--sha256", try sha256(Self.iso)])
        #expect(decoded.status == 0 && decoded.stdout.contains("\(images.xz): SHA256 matches --sha256"), "\(decoded.stdout)\(decoded.stderr)")
        let stored = try EdgeFlashBinary.run(["verify", images.zstd, "--sha256", try sha256(images.zstd)])
        #expect(stored.status == 0 && stored.stdout.contains("SHA256 of the compressed file matches --sha256"), "\(stored.stdout)\(stored.stderr)")
        let wrong = try EdgeFlashBinary.run(["verify", images.xz, "--sha256", String(repeating: "0", count: 64)])
        #expect(wrong.status == 4 && wrong.stderr.contains("checksum mismatch"), "\(wrong.stderr)")
    }

    @Test func inspectReadsThroughTheCompression() throws {
        let plain = try EdgeFlashBinary.run(["inspect", "--json", Self.iso])
        for (image, format, stated) in [(images.xz, "xz", true), (images.gzip, "gzip", false), (images.zstd, "zstd", true)] {
            let result = try EdgeFlashBinary.run(["inspect", "--json", image])
            #expect(result.status == plain.status, "\(image): \(result.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let plainJSON = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
            let compression = try #require(json["compression"] as? [String: Any], "\(image)")
            #expect(compression["format"] as? String == format)
            #expect((compression["decodedBytes"] as? Int).map { $0 == isoSize } ?? !stated, "\(image)")
            #expect(json["verdictSummary"] as? String == plainJSON["verdictSummary"] as? String, "\(image)")
        }
    }
}
