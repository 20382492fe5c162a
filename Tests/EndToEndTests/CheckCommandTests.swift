import Foundation
import Testing
import TestSupport

/// `check` on sticks written with `--user-data`: the image and the site named from a flash log
/// line, a changed image byte named by its offset, a damaged volume said to be one, no secret shown.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct CheckCommandTests {
    /// A flash log holding the line a write of `image` with `userData` for `site` to `device` appends.
    func logLine(image: String, device: String, site: String, userData: String) throws -> String {
        let sha = { (path: String) throws -> String in String(try Shell.bash("sha256sum '\(path)'").prefix(64)) }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: image)[.size] as? Int)
        let record: [String: Any] = [
            "time": "2026-11-30T06:12:03Z", "version": "0.1.0", "operation": "write",
            "image": URL(fileURLWithPath: image).lastPathComponent, "imageSize": size, "imageSHA256": try sha(image),
            "device": device, "site": site, "userDataSHA256": try sha(userData), "result": "ok", "exitStatus": 0, "seconds": 1.5,
        ]
        let log = try TemporaryDirectory.make().appendingPathComponent("flash.jsonl")
        let line = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) + Data("\n".utf8)
        try line.write(to: log)
        return log.path
    }

    func check(_ arguments: [String]) throws -> ShellResult {
        try EdgeFlashBinary.run(["check"] + arguments)
    }

    @Test func anMBRStickIsNamedThenAChangedByteAndADamagedVolumeFail() throws {
        let loop = try LoopDevice(size: 128 << 20)
        defer { loop.detach() }
        let image = InstallerImages.ipxe, userData = try userDataFile(validUserData)
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--user-data", userData])
        #expect(write.status == 0, "\(write.stderr)")
        let log = try logLine(image: image, device: loop.path, site: "berlin", userData: userData)

        let good = try check([loop.path, "--log", log])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("intact: the image ipxe.iso in the log, written 2026-11-30T06:12:03Z (write)"), "\(good.stdout)")
        #expect(good.stdout.contains("site berlin"), "\(good.stdout)")
        #expect(good.stdout.contains("user-data valid"), "\(good.stdout)")

        let shown = try check([loop.path, "--log", log, "--show"])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("edgeHostToken: <redacted>") && shown.stdout.contains("name: site-a"), "\(shown.stdout)")
        let json = try check([loop.path, "--log", log, "--show", "--json"])
        #expect(json.status == 0)
        for output in [shown.stdout + shown.stderr, json.stdout + json.stderr] { #expect(!output.contains("tok-e2e-123")) }
        let last = try #require(json.stdout.split(separator: "\n").last)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect((result["userData"] as? [String: Any])?["site"] as? String == "berlin")
        #expect((result["image"] as? [String: Any])?["state"] as? String == "intact")

        // One byte of the image region changed: the log's image no longer matches; --image names the byte.
        try Shell.bash("printf '\\125' | dd of='\(loop.path)' bs=1 seek=1500000 conv=notrunc,fsync status=none")
        let changed = try check([loop.path, "--log", log])
        #expect(changed.status == 4)
        #expect(changed.stderr.contains("does not match ipxe.iso written to it"), "\(changed.stderr)")
        let compared = try check([loop.path, "--log", log, "--image", image])
        #expect(compared.status == 4)
        #expect(compared.stderr.contains("differs from \(image) at byte offset 1500000"), "\(compared.stderr)")

        // The image put back, the user-data volume's boot sector zeroed.
        try Shell.bash("dd if='\(image)' of='\(loop.path)' bs=1 skip=1500000 seek=1500000 count=1 conv=notrunc,fsync status=none")
        try Shell.bash("dd if=/dev/zero of='\(loop.path)' bs=512 seek=\((2 << 20) / 512) count=1 conv=notrunc,fsync status=none")
        let damaged = try check([loop.path, "--log", log, "--image", image])
        #expect(damaged.status == 4)
        #expect(damaged.stdout.contains("intact: matches \(image)"), "\(damaged.stdout)")
        #expect(damaged.stderr.contains("not a user-data volume"), "\(damaged.stderr)")
    }

    /// grub-mkrescue's GPT hybrid written to `loop` with an ISO 9660 user-data volume for site
    /// austin: the image and the flash log naming the write.
    func writeGPTHybridWithAnISO9660Volume(in dir: URL, to loop: LoopDevice) throws -> (image: String, log: String) {
        let image = try InstallerImages.grubRescueHybrid(in: dir), userData = try userDataFile(validUserData)
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--user-data", userData, "--fs", "iso9660"])
        #expect(write.status == 0, "\(write.stderr)")
        return (image, try logLine(image: image, device: loop.path, site: "austin", userData: userData))
    }

    @Test func aGPTHybridWithAnISO9660VolumeIsNamedAndItsImageFileToo() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let loop = try LoopDevice(size: 256 << 20)
        defer { loop.detach() }
        let (image, log) = try writeGPTHybridWithAnISO9660Volume(in: dir, to: loop)

        // The GPT inject rewrote (entry, backup moved, protective MBR) is put back before hashing.
        let good = try check([loop.path, "--log", log])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("intact: the image grub-hybrid.iso in the log"), "\(good.stdout)")
        #expect(good.stdout.contains("user-data volume cidata (iso9660)") && good.stdout.contains("site austin"), "\(good.stdout)")

        // The same bytes in a file: named too, though the log's line is about the loop device.
        let file = try check([loop.backingFile.path, "--log", log])
        #expect(file.status == 0, "\(file.stderr)")
        #expect(file.stdout.contains("intact: the image grub-hybrid.iso in the log") && file.stdout.contains("site austin"), "\(file.stdout)")

        // Was: with its primary GPT header zeroed, the tables were read from the backup, the
        // primary rebuilt from it before hashing, and the stick called intact.
        try Shell.bash("dd if=/dev/zero of='\(loop.path)' bs=512 seek=1 count=1 conv=notrunc oflag=direct status=none")
        let damaged = try check([loop.path, "--log", log])
        #expect(damaged.status != 0, "\(damaged.stdout)")
        #expect(!damaged.stdout.contains("intact"), "\(damaged.stdout)")
    }

    /// Was: the tables put back before hashing came from the image's own backup GPT alone, so the
    /// stick's primary never entered the hash: an ESP entry moved and renamed there (both CRCs
    /// recomputed) left the stick "intact".
    @Test func aGPTHybridWithUserDataWhosePrimaryEntryChangedDoesNotMatch() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let loop = try LoopDevice(size: 256 << 20)
        defer { loop.detach() }
        let (image, log) = try writeGPTHybridWithAnISO9660Volume(in: dir, to: loop)
        #expect(try check([loop.path, "--log", log]).status == 0)

        // Partition 2 (the ESP) of the primary only: its first sector 8 on, a new name, both CRCs again.
        let tamper = try Shell.bash("""
            python3 - '\(loop.path)' <<'EOF'
            import os, struct, sys, zlib
            fd = os.open(sys.argv[1], os.O_RDWR)
            header = bytearray(os.pread(fd, 512, 512))
            entries, count, size = struct.unpack_from('<QII', header, 72)
            array = bytearray(os.pread(fd, count * size, entries * 512))
            first = struct.unpack_from('<Q', array, size + 32)[0]
            struct.pack_into('<Q', array, size + 32, first + 8)
            array[size + 56:size + 64] = 'evil'.encode('utf-16le')
            struct.pack_into('<I', header, 88, zlib.crc32(bytes(array)))
            struct.pack_into('<I', header, 16, 0)
            struct.pack_into('<I', header, 16, zlib.crc32(bytes(header[:struct.unpack_from('<I', header, 12)[0]])))
            os.pwrite(fd, bytes(array), entries * 512); os.pwrite(fd, bytes(header), 512); os.fsync(fd); os.close(fd)
            print(first)
            EOF
            """)
        #expect(tamper.trimmingCharacters(in: .whitespacesAndNewlines) == "288", "\(tamper)")
        let changed = try check([loop.path, "--log", log])
        #expect(changed.status == 4, "\(changed.stdout)")
        #expect(!changed.stdout.contains("intact: the image"), "\(changed.stdout)")
        #expect(changed.stderr.contains("does not match grub-hybrid.iso written to it"), "\(changed.stderr)")
    }

    @Test func aStickTheLogDoesNotKnowIsUnverified() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        #expect(try EdgeFlashBinary.run(["write", InstallerImages.ipxe, loop.path, "--yes", "--no-verify"]).status == 0)
        let missing = try TemporaryDirectory.make().appendingPathComponent("none.jsonl").path
        let result = try check([loop.path, "--log", missing])
        #expect(result.status == 1)
        #expect(result.stderr.contains("unverified: the image region matches no image in \(missing)"), "\(result.stderr)")
        #expect(result.stdout.contains("has no user-data volume after its image"), "\(result.stdout)")
    }
}
