import Foundation
import Testing
import TestSupport

/// A GPT disk image (not an installer ISO) written to a disk larger than itself, on real loop
/// devices: the backup GPT moves to the disk's end, `--grow` takes the last partition there, and
/// both filesystems in it still check clean. A disk with another sector size, or not the disk a
/// script expected, is refused before anything is written.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct DiskImageTests {
    static let classic = GPTDiskImage.classic
    static let imageSectors = classic.sectors
    static let fat = classic.fat
    static let ext4 = classic.ext4

    func makeImage(in dir: URL) throws -> String { try Self.classic.make(in: dir) }

    func bothFilesystemsClean(_ loop: LoopDevice, _ image: GPTDiskImage = classic, _ context: String = "") throws {
        let clean = try image.filesystemsClean(loop.backingFile)
        #expect(clean.fat && clean.ext4, "\(context)")
    }

    func verify(_ image: String, against device: String) throws -> ShellResult {
        try EdgeFlashBinary.run(["verify", image, "--against", device, "--sha256", String(try Shell.bash("sha256sum '\(image)'").prefix(64))])
    }

    @Test func theBackupGPTMovesToTheEndOfALargerDisk() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-diskimage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try makeImage(in: dir)
        let loop = try LoopDevice(size: Int64(Self.imageSectors) * 512 * 2)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes"])
        #expect(write.status == 0, "\(write.stderr)")
        #expect(write.stdout.contains("the backup GPT moved from sector 131071 to the disk's last sector, 262143"), "\(write.stdout)")

        let sgdisk = try Shell.run("sgdisk", ["-v", loop.path])
        #expect(sgdisk.succeeded && sgdisk.stdout.contains("No problems found"), "\(sgdisk.stdout)")
        #expect(try loop.read(offset: 262_143 * 512, count: 8) == Data("EFI PART".utf8))
        #expect(try Shell.bash("sgdisk -p \(loop.path)").contains("last usable sector is 262110"))
        // Partitions as the image had them.
        #expect(try Shell.bash("sgdisk -i 2 \(loop.path)").contains("Last sector: \(Self.ext4.last) "))
        try bothFilesystemsClean(loop)

        // verify --against knows the tables write moved, and still sees any other change in them.
        let good = try verify(image, against: loop.path)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("except the partition table write rewrote for this disk (bytes 446-511, LBA 1-33, LBA 262111-262143 at the disk's end)"), "\(good.stdout)")
        try Shell.bash("printf 'X' | dd of='\(loop.path)' bs=1 seek=\(512 + 60) conv=notrunc,fsync status=none")   // the disk GUID
        let bad = try verify(image, against: loop.path)
        #expect(bad.status == 4, "\(bad.stdout)")
        #expect(bad.stderr.contains("byte offset 572"), "\(bad.stderr)")
    }

    @Test func growTakesTheLastPartitionToTheLastUsableSector() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-diskimage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try makeImage(in: dir)
        let loop = try LoopDevice(size: Int64(Self.imageSectors) * 512 * 2)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--grow", "--json"])
        #expect(write.status == 0, "\(write.stderr)")
        let line = try #require(write.stdout.split(separator: "\n").last)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let tables = try #require(result["tables"] as? [String: Any])
        #expect(tables["layout"] as? String == "gpt" && tables["backupHeaderTo"] as? Int == 262_143)
        let grown = try #require(tables["grown"] as? [String: Any])
        #expect(grown["number"] as? Int == 2 && grown["lastSector"] as? Int == 262_110 && grown["previousLastSector"] as? Int == Self.ext4.last)

        let sgdisk = try Shell.run("sgdisk", ["-v", loop.path])
        #expect(sgdisk.succeeded && sgdisk.stdout.contains("No problems found"), "\(sgdisk.stdout)")
        #expect(try Shell.bash("sgdisk -i 2 \(loop.path)").contains("Last sector: 262110 "))
        #expect(try Shell.bash("sgdisk -i 1 \(loop.path)").contains("Last sector: \(Self.fat.last) "))
        try bothFilesystemsClean(loop)
        let verified = try verify(image, against: loop.path)
        #expect(verified.status == 0 && verified.stdout.contains("and partition 2 grown"), "\(verified.stdout)\(verified.stderr)")

        let text = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--grow"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Grown: partition 2 now ends at the disk's end, sector 262110 (was \(Self.ext4.last))"), "\(text.stdout)")
    }

    /// `check` and `verify --against` on a stick whose tables write finished (with and without
    /// `--grow`): intact, the finish's tables expected byte for byte; and a byte changed inside the
    /// ext4 partition, in the primary GPT's header or entry array, or in the moved backup header is
    /// caught. (Was: `check` hashed the finished tables and said "not the image the log says".)
    @Test(arguments: [false, true]) func aFinishedStickChecksIntactAndAChangedByteIsCaught(grow: Bool) throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-diskimage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try makeImage(in: dir), log = dir.appendingPathComponent("flash.jsonl").path
        let loop = try LoopDevice(size: Int64(Self.imageSectors) * 512 * 2)
        defer { loop.detach() }
        let sha256 = String(try Shell.bash("sha256sum '\(image)'").prefix(64))
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--log", log, "--sha256", sha256] + (grow ? ["--grow"] : []))
        #expect(write.status == 0, "\(write.stderr)")

        let finished = grow ? "the backup GPT at the disk's end, partition 2 grown)" : "the backup GPT at the disk's end)"
        let check = try EdgeFlashBinary.run(["check", loop.path, "--log", log])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("intact: the image disk.img in the log") && check.stdout.contains(finished), "\(check.stdout)")
        #expect(check.stdout.contains("no user-data volume, as written"), "\(check.stdout)")
        let compared = try EdgeFlashBinary.run(["check", loop.path, "--log", log, "--image", image])
        #expect(compared.status == 0 && compared.stdout.contains("intact: matches \(image)"), "\(compared.stdout)\(compared.stderr)")
        let verified = try verify(image, against: loop.path)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")

        let flip = { (offset: Int) throws in
            let byte = try loop.read(offset: Int64(offset), count: 1)[0]
            try Shell.bash("printf '\\\(String(~byte, radix: 8))' | dd of='\(loop.path)' bs=1 seek=\(offset) conv=notrunc,fsync status=none")
        }
        let insideImage = [Self.ext4.first * 512 + 1024 + 0x38, 512 + 60, 1024 + 128 + 40]   // ext4 magic, disk GUID, partition 2's last LBA
        for offset in insideImage + [262_143 * 512 + 60] {                                   // the moved backup's disk GUID
            try flip(offset)
            let changed = try EdgeFlashBinary.run(["check", loop.path, "--log", log])
            #expect(changed.status == 4 && changed.stderr.contains("does not match disk.img written to it"), "\(offset): \(changed.stdout)\(changed.stderr)")
            let against = try verify(image, against: loop.path)
            #expect(against.status == 4, "\(offset): \(against.stdout)")
            if insideImage.contains(offset) {
                #expect(against.stderr.contains("byte offset \(offset) "), "\(offset): \(against.stderr)")
            }
            try flip(offset)
        }
        #expect(try EdgeFlashBinary.run(["check", loop.path, "--log", log]).status == 0)
    }

    /// A compressed disk image is finished as a plain one is: its tables read decoded, the backup
    /// GPT moved to the disk's end, `--grow` taken to the last usable sector, both filesystems clean.
    @Test func aCompressedDiskImageIsFinishedAsAPlainOneIs() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-diskimage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try makeImage(in: dir)
        try Shell.bash("xz -T0 -kc '\(image)' > '\(image).xz' && zstd -qkc '\(image)' > '\(image).zst' && gzip -kc '\(image)' > '\(image).gz'")
        for (compressed, grow) in [(image + ".xz", true), (image + ".zst", false), (image + ".gz", true)] {
            let loop = try LoopDevice(size: Int64(Self.imageSectors) * 512 * 2)
            defer { loop.detach() }
            let write = try EdgeFlashBinary.run(["write", compressed, loop.path, "--yes", "--no-probe"] + (grow ? ["--grow"] : []))
            #expect(write.status == 0, "\(compressed): \(write.stderr)")
            #expect(write.stdout.contains("the backup GPT moved from sector 131071 to the disk's last sector, 262143"), "\(compressed): \(write.stdout)")
            let sgdisk = try Shell.run("sgdisk", ["-v", loop.path])
            #expect(sgdisk.succeeded && sgdisk.stdout.contains("No problems found"), "\(compressed): \(sgdisk.stdout)")
            #expect(try loop.read(offset: 262_143 * 512, count: 8) == Data("EFI PART".utf8), "\(compressed)")
            #expect(try Shell.bash("sgdisk -i 2 \(loop.path)").contains("Last sector: \(grow ? 262_110 : Self.ext4.last) "), "\(compressed)")
            try bothFilesystemsClean(loop)
        }
        // Past the decoded first 64 MiB the backup GPT is not read: the finish builds it from the primary.
        let large = dir.appendingPathComponent("large.img").path
        try Shell.bash("truncate -s 96M '\(large)' && sgdisk -o -n1:2048:0 '\(large)' >/dev/null && xz -T0 -k '\(large)'")
        let loop = try LoopDevice(size: 192 << 20)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", large + ".xz", loop.path, "--yes", "--no-probe", "--grow"])
        #expect(write.stdout.contains("the backup GPT moved from sector 196607 to the disk's last sector, 393215"), "\(write.stdout)\(write.stderr)")
        #expect(try Shell.bash("sgdisk -v \(loop.path)").contains("No problems found"))
        let verify = try EdgeFlashBinary.run(["verify", large + ".xz", "--against", loop.path])
        #expect(verify.status == 0 && verify.stdout.contains("and partition 1 grown"), "\(verify.stdout)\(verify.stderr)")
    }

    /// `--grow` on an MBR disk image: its last entry reaches the disk's last sector.
    @Test func growTakesAnMBRsLastPartitionToTheDisksEnd() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-diskimage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("mbr.img").path
        try Shell.bash("truncate -s 16M '\(image)' && printf 'label: dos\\n2048,8192,c\\n10240,,83\\n' | sfdisk -q '\(image)'")
        let loop = try LoopDevice(size: 32 << 20)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--grow"])
        #expect(write.status == 0, "\(write.stderr)")
        #expect(write.stdout.contains("Grown: partition 2 now ends at the disk's end, sector 65535 (was 32767)"), "\(write.stdout)")
        let dump = try Shell.bash("sfdisk -d \(loop.path)")
        #expect(dump.contains("start=       10240, size=       55296, type=83"), "\(dump)")
        let verify = try EdgeFlashBinary.run(["verify", image, "--against", loop.path])
        #expect(verify.status == 0 && verify.stdout.contains("which holds the image's table with partition 2 grown"), "\(verify.stdout)")
        #expect(!verify.stdout.contains("backup"), "an MBR has no backup: \(verify.stdout)")
    }

    /// A GPT image made for 4096-byte sectors on a 4Kn disk twice its size, finished as a 512 one
    /// is, in 4 KiB sectors: the backup GPT in the disk's last 4096-byte sector, the protective MBR
    /// over the whole disk, `--grow` to the last usable sector; plain and xz-compressed.
    @Test func a4096ByteSectorImageIsFinishedOnA4096ByteSectorDisk() throws {
        let fourK = GPTDiskImage.fourK
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-diskimage-4k")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try fourK.make(in: dir)
        try Shell.bash("xz -T0 -k '\(image)'")
        let loop = try LoopDevice(size: fourK.bytes * 2, sectorSize: 4096)
        defer { loop.detach() }
        let last: Int64 = 32_767, lastUsable = 32_762          // 4 entry sectors and the header after it
        for (given, grow) in [(image, false), (image, true), (image + ".xz", true)] {
            let write = try EdgeFlashBinary.run(["write", given, loop.path, "--yes", "--no-probe", "--json"] + (grow ? ["--grow"] : []))
            #expect(write.status == 0, "\(given): \(write.stderr)")
            let line = try #require(write.stdout.split(separator: "\n").last)
            let tables = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["tables"] as? [String: Any]
            #expect(tables?["sectorSize"] as? Int == 4096 && tables?["backupHeaderFrom"] as? Int == 16_383 && tables?["backupHeaderTo"] as? Int == 32_767, "\(given): \(line)")
            let grown = tables?["grown"] as? [String: Any]
            #expect(grow ? grown?["number"] as? Int == 2 && grown?["lastSector"] as? Int == lastUsable : grown == nil, "\(given): \(line)")

            let sgdisk = try Shell.run("sgdisk", ["-v", loop.path])
            #expect(sgdisk.succeeded && sgdisk.stdout.contains("No problems found"), "\(given): \(sgdisk.stdout)")
            #expect(try loop.read(offset: last * 4096, count: 8) == Data("EFI PART".utf8), "\(given)")
            let printed = try Shell.bash("sgdisk -p \(loop.path)")
            #expect(printed.contains("Sector size (logical/physical): 4096/4096 bytes") && printed.contains("last usable sector is \(lastUsable)"), "\(printed)")
            #expect(try Shell.bash("sgdisk -i 2 \(loop.path)").contains("Last sector: \(grow ? lastUsable : fourK.ext4.last) "), "\(given)")
            // The protective entry counts 4 KiB sectors: all of the disk but sector 0.
            let protective = try loop.read(offset: 446 + 12, count: 4)
            #expect(protective.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } == UInt32(last), "\(given)")
            try bothFilesystemsClean(loop, fourK, given)
            let verify = try EdgeFlashBinary.run(["verify", given, "--against", loop.path])
            #expect(verify.status == 0, "\(given): \(verify.stdout)\(verify.stderr)")
            // The rewritten ranges named in the disk's own 4 KiB sectors.
            #expect(verify.stdout.contains("(bytes 446-511, LBA 1-5, LBA 32763-32767 at the disk's end)"), "\(given): \(verify.stdout)")
        }
        // inspect reads the table in the sectors it was made for.
        let inspect = try EdgeFlashBinary.run(["inspect", image])
        #expect(inspect.stdout.contains("header and entry array CRC32 OK, 4096-byte sectors, 2 partitions: 1 '' EFI system 256-5375; 2 '' Linux filesystem 5376-16378"), "\(inspect.stdout)")
        // A user-data volume is planned in 512-byte sectors: refused on this disk before writing.
        let before = try Shell.bash("sha256sum < '\(loop.path)'")
        let userData = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--user-data", try userDataFile(validUserData)])
        #expect(userData.status == 3, "\(userData.stderr)")
        #expect(userData.stderr.contains("\(loop.path) has 4096-byte logical sectors: a user-data volume is added to disks with 512-byte sectors only"), "\(userData.stderr)")
        #expect(try Shell.bash("sha256sum < '\(loop.path)'") == before)
    }

    /// Was: `check` read the tables in 512-byte sectors always, so it found no GPT to put back on a
    /// 4096-byte-sector disk and said the intact image the log names did not match.
    @Test func a4096ByteSectorImageChecksIntactOnA4096ByteSectorDisk() throws {
        let fourK = GPTDiskImage.fourK
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-diskimage-4k")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try fourK.make(in: dir), log = dir.appendingPathComponent("flash.jsonl").path
        try Shell.bash("cd '\(dir.path)' && sha256sum '\(URL(fileURLWithPath: image).lastPathComponent)' > '\(image).sha256'")
        let loop = try LoopDevice(size: fourK.bytes * 2, sectorSize: 4096)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--log", log])
        #expect(write.status == 0, "\(write.stderr)")

        let check = try EdgeFlashBinary.run(["check", loop.path, "--log", log])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("intact: the image \(URL(fileURLWithPath: image).lastPathComponent) in the log"), "\(check.stdout)")
        #expect(check.stdout.contains("the backup GPT at the disk's end)"), "\(check.stdout)")

        // The moved backup's disk GUID changed (4 KiB sectors: the header is the disk's last one).
        let offset = fourK.bytes * 2 - 4096 + 60, byte = try loop.read(offset: offset, count: 1)[0]
        try Shell.bash("printf '\\\(String(~byte, radix: 8))' | dd of='\(loop.path)' bs=1 seek=\(offset) conv=notrunc,fsync status=none")
        let changed = try EdgeFlashBinary.run(["check", loop.path, "--log", log])
        #expect(changed.status == 4, "\(changed.stdout)\(changed.stderr)")
    }

    /// A 512-byte-sector image (plain, and xz-compressed) to a 4096-byte-sector disk, and the
    /// reverse: refused with the reason before anything is written.
    @Test func aDiskWithAnotherSectorSizeIsRefusedUntouched() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-sectors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try makeImage(in: dir)
        let backing = dir.appendingPathComponent("4k.img").path
        // An old disk: something at both ends, where a write would start (the probe, the cleared MiBs).
        try Shell.bash("truncate -s 128M '\(backing)' && head -c 1M /dev/urandom | dd of='\(backing)' conv=notrunc status=none && head -c 1M /dev/urandom | dd of='\(backing)' bs=1M seek=127 conv=notrunc status=none")
        let loop = try Shell.bash("losetup -f --show --sector-size 4096 '\(backing)'").trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? Shell.run("losetup", ["-d", loop]) }
        try Shell.bash("blockdev --setrw \(loop)")
        let ends = "(head -c 1M '\(backing)'; tail -c 1M '\(backing)') | sha256sum"
        let before = try Shell.bash(ends)

        // The same image xz-compressed: its tables are read decoded, and it is refused alike.
        try Shell.bash("xz -T0 -k '\(image)'")
        for given in [image, image + ".xz"] {
            let write = try EdgeFlashBinary.run(["write", given, loop, "--yes"])
            #expect(write.status == 3, "\(write.stderr)")
            #expect(write.stderr.contains("\(given) has its GPT at byte 512 (made for 512-byte sectors), but \(loop) has 4096-byte logical sectors"), "\(write.stderr)")
            #expect(try Shell.bash(ends) == before)
        }

        // An image made for 4096-byte sectors (plain, and xz-compressed): refused on a 512 disk.
        let fourK = try GPTDiskImage.fourK.make(in: dir, name: "4k-image.img")
        try Shell.bash("xz -T0 -k '\(fourK)'")
        let small = try LoopDevice(size: 128 << 20)
        defer { small.detach() }
        try Shell.bash("head -c 1M /dev/urandom | dd of='\(small.path)' conv=fsync status=none && head -c 1M /dev/urandom | dd of='\(small.path)' bs=1M seek=127 conv=fsync status=none")
        let whole = "sha256sum < '\(small.path)'"
        let smallBefore = try Shell.bash(whole)
        for given in [fourK, fourK + ".xz"] {
            let reverse = try EdgeFlashBinary.run(["write", given, small.path, "--yes"])
            #expect(reverse.status == 3, "\(reverse.stderr)")
            #expect(reverse.stderr.contains("\(given) has its GPT at byte 4096 (made for 4096-byte sectors), but \(small.path) has 512-byte logical sectors"), "\(reverse.stderr)")
            #expect(try Shell.bash(whole) == smallBefore, "\(given)")
        }
    }

    /// An MBR disk image on a 4096-byte-sector disk: its MBR does not say its sector size, so it is
    /// refused before writing (with `--grow` too), one made through a 4K loop device alike; an
    /// installer ISO (a hybrid with an MBR) still writes to the same disk.
    @Test func anMBRDiskImageIsRefusedOnA4096ByteSectorDisk() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-sectors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mbr = dir.appendingPathComponent("mbr.img").path, mbr4k = dir.appendingPathComponent("mbr4k.img").path
        try Shell.bash("""
            truncate -s 16M '\(mbr)' '\(mbr4k)' && printf 'label: dos\\n2048,,83\\n' | sfdisk -q '\(mbr)'
            l=$(losetup -f --show --sector-size 4096 '\(mbr4k)'); printf 'label: dos\\n256,,83\\n' | sfdisk -q "$l"; losetup -d "$l"
            """)
        let loop = try LoopDevice(size: 64 << 20, sectorSize: 4096)
        defer { loop.detach() }
        try Shell.bash("head -c 1M /dev/urandom | dd of='\(loop.path)' conv=fsync status=none")
        let before = try Shell.bash("sha256sum < '\(loop.path)'")
        for (image, grow) in [(mbr, false), (mbr, true), (mbr4k, true)] {
            let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"] + (grow ? ["--grow"] : []))
            #expect(write.status == 3, "\(image): \(write.stderr)")
            #expect(write.stderr.contains("\(image) is an MBR disk image, whose partitions count 512-byte sectors as far as anything can tell, but \(loop.path) has 4096-byte logical sectors"), "\(write.stderr)")
            #expect(try Shell.bash("sha256sum < '\(loop.path)'") == before, "\(image)")
        }
        let iso = try EdgeFlashBinary.run(["write", InstallerImages.ipxe, loop.path, "--yes", "--no-probe", "--force"])
        #expect(iso.status == 0, "\(iso.stderr)")
    }

    /// A GPT that firmware would not accept (its alternate LBA 2^64-1; no entries at all) is
    /// written as the image has it, and the summary says so; `--grow` of it is refused.
    @Test func anInvalidGPTIsWrittenAsIsAndSaidSo() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-diskimage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let patches = ["alternate": "struct.pack_into('<Q', b, 512 + 32, 2**64 - 1)",
                       "no entries": "struct.pack_into('<II', b, 512 + 80, 0, 128); struct.pack_into('<I', b, 512 + 88, 0)"]
        let loop = try LoopDevice(size: 32 << 20)
        defer { loop.detach() }
        for (name, patch) in patches {
            let image = dir.appendingPathComponent("\(name).img").path
            try Shell.bash("""
                truncate -s 16M '\(image)' && sgdisk -o -n1:2048:0 '\(image)' >/dev/null
                python3 -c "import struct, zlib; b = bytearray(open('\(image)', 'rb').read()); \(patch); struct.pack_into('<I', b, 512 + 16, 0); struct.pack_into('<I', b, 512 + 16, zlib.crc32(bytes(b[512:604]))); open('\(image)', 'wb').write(b)"
                """)
            let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"])
            #expect(write.status == 0, "\(name): \(write.stderr)")
            #expect(write.stdout.contains("Partition table: left as the image made it: the image's GPT is not valid ("), "\(name): \(write.stdout)")
            #expect(try Shell.run("cmp", ["-n", String(16 << 20), image, loop.path]).succeeded, "\(name)")
            let grow = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--grow"])
            #expect(grow.status == 3, "\(name): \(grow.stderr)")
        }
    }

    /// An image whose file goes on for 8 MiB past its GPT (which covers its first 32 MiB), on a disk
    /// its own size: the moved backup GPT would land on the image's data, so the tables are left as
    /// the image made them (plain, and gzip, whose length is known only once written) and every byte
    /// of the image is on the disk; `--grow` is refused before writing. On a disk with room for the
    /// backup after the image, it is moved as usual.
    @Test func aFinishNeverWritesOverTheImagesData() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-diskimage")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("longer.img").path
        try Shell.bash("""
            truncate -s 32M '\(dir.path)/gpt.img' && sgdisk -o -n1:2048:0 '\(dir.path)/gpt.img' >/dev/null
            (cat '\(dir.path)/gpt.img'; head -c 8M /dev/urandom) > '\(image)' && gzip -kc '\(image)' > '\(image).gz'
            """)
        let size: Int64 = 40 << 20
        let loop = try LoopDevice(size: size)
        defer { loop.detach() }
        for given in [image, image + ".gz"] {
            let write = try EdgeFlashBinary.run(["write", given, loop.path, "--yes", "--no-probe"])
            #expect(write.status == 0, "\(given): \(write.stderr)")
            #expect(write.stdout.contains("Partition table: left as the image made it: its GPT covers only its first 33.6 MB (backup header at sector 65535)"), "\(given): \(write.stdout)")
            #expect(try Shell.run("cmp", [image, loop.path]).succeeded, "\(given)")
        }
        try Shell.bash("head -c 1M /dev/urandom | dd of='\(loop.path)' conv=fsync status=none")
        let before = try Shell.bash("sha256sum < '\(loop.path)'")
        let grow = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--grow"])
        #expect(grow.status == 3, "\(grow.stderr)")
        #expect(grow.stderr.contains("cannot --grow the last partition of \(image): its GPT covers only its first 33.6 MB"), "\(grow.stderr)")
        #expect(try Shell.bash("sha256sum < '\(loop.path)'") == before)

        let roomy = try LoopDevice(size: size + (1 << 20))
        defer { roomy.detach() }
        let write = try EdgeFlashBinary.run(["write", image, roomy.path, "--yes", "--no-probe"])
        #expect(write.stdout.contains("the backup GPT moved from sector 65535 to the disk's last sector, 83967"), "\(write.stdout)\(write.stderr)")
        // Past its tables in the first MiB (the primary rewritten), every byte is the image's.
        #expect(try Shell.run("cmp", ["-i", "1048576", "-n", String(size - (1 << 20)), image, roomy.path]).succeeded)
    }

    /// --expect-serial and --expect-size are checked before the disk is opened for writing: with
    /// another process holding the loop exclusively, the mismatch is what is reported, not "busy"
    /// (which an open for writing would meet first).
    @Test func anotherDiskThanExpectedIsRefusedBeforeItIsOpened() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let holder = try ExclusiveHolder(loop.path)
        defer { holder.release() }

        let serial = try EdgeFlashBinary.run(["write", InstallerImages.ipxe, loop.path, "--yes", "--expect-serial", "4C530001230925117291"])
        #expect(serial.status == 3, "\(serial.stderr)")
        #expect(serial.stderr.contains("\(loop.path) reports no serial, not the expected 4C530001230925117291 (--expect-serial)"), "\(serial.stderr)")
        let size = try EdgeFlashBinary.run(["write", InstallerImages.ipxe, loop.path, "--yes", "--expect-size", "\((64 << 20) + 512)"])
        #expect(size.status == 3, "\(size.stderr)")
        #expect(size.stderr.contains("not the expected \((64 << 20) + 512) bytes (--expect-size)"), "\(size.stderr)")
        let inject = try EdgeFlashBinary.run(["inject", loop.path, "--user-data", try userDataFile(validUserData), "--yes", "--expect-serial", "X1"])
        #expect(inject.status == 3 && inject.stderr.contains("(--expect-serial)"), "\(inject.stderr)")
        // The same write without the expectation reaches the disk and finds it held.
        let busy = try EdgeFlashBinary.run(["write", InstallerImages.ipxe, loop.path, "--yes", "--expect-size", "\(64 << 20)"])
        #expect(busy.status == 3 && busy.stderr.contains("is busy"), "\(busy.stderr)")
        #expect(try loop.read(offset: 0, count: 1 << 20) == Data(count: 1 << 20))
    }
}
