import Foundation
import Testing
import TestSupport

/// `edgeflash write` with a bmap made by the real bmaptool, and with a sparse raw image, on real
/// loop devices; the device is checked with `cmp` and `blkid -p`.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct MappedWriteTests {
    /// A 48 MiB sparse disk image: a real ISO at its start, 3 MiB of data at 20 MiB, holes elsewhere.
    func sparseImage(in dir: URL) throws -> String {
        let image = dir.appendingPathComponent("disk.img").path
        try Shell.bash("""
            truncate -s 48M '\(image)'
            dd if=/usr/lib/grub-rescue/grub-rescue-cdrom.iso of='\(image)' conv=notrunc status=none
            head -c 3M /dev/urandom | dd of='\(image)' bs=1M seek=20 conv=notrunc status=none
            """)
        return image
    }

    /// A loop device full of random bytes, holding the ISO at its start (it looks bootable).
    func dirtyStick() throws -> LoopDevice {
        let loop = try LoopDevice(size: 64 << 20)
        try Shell.bash("""
            head -c 64M /dev/urandom | dd of=\(loop.path) bs=1M oflag=direct status=none
            dd if=/usr/lib/grub-rescue/grub-rescue-cdrom.iso of=\(loop.path) bs=1M oflag=direct status=none
            """)
        return loop
    }

    func cmp(_ image: String, _ device: String, from offset: Int64 = 0, count: Int64) throws -> Bool {
        try Shell.run("cmp", ["-i", "\(offset)", "-n", "\(count)", image, device]).succeeded
    }

    @Test func aSparseImageIsWrittenWithItsHolesZeroed() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try sparseImage(in: dir)
        let loop = try dirtyStick()
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("from the sparse file's data extents"), "\(result.stdout)")
        #expect(try cmp(image, loop.path, count: 48 << 20), "every byte, holes as zeros")
    }

    @Test func aBmapFromBmaptoolIsFollowedAndItsRangesChecked() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try sparseImage(in: dir)
        try Shell.bash("bmaptool create -o '\(image).bmap' '\(image)' 2>/dev/null && xz -k -T2 '\(image)'")
        for written in [image, image + ".xz"] {
            let loop = try dirtyStick()
            defer { loop.detach() }
            let result = try EdgeFlashBinary.run(["write", written, loop.path, "--yes", "--no-probe"])
            #expect(result.status == 0, "\(written): \(result.stderr)")
            #expect(result.stdout.contains("2 ranges from disk.img.bmap"), "\(result.stdout)")
            #expect(try cmp(image, loop.path, count: 1241 * 4096), "\(written): the ISO's range")
            #expect(try cmp(image, loop.path, from: 20 << 20, count: 3 << 20), "\(written): the data at 20 MiB")
            #expect(!(try cmp(image, loop.path, from: 10 << 20, count: 1 << 20)), "\(written): unmapped blocks are left as they were")
        }
    }

    /// A bmap whose range checksum does not match the image, its own checksum made to match (as a
    /// bmap for another image would): found while writing, the stick blanked.
    @Test func aRangeThatDiffersFromItsChecksumIsRefusedWithTheStickBlank() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try sparseImage(in: dir)
        let bmap = image + ".bmap"
        try Shell.bash("""
            bmaptool create -o '\(bmap)' '\(image)' 2>/dev/null
            old=$(grep -o 'chksum="[0-9a-f]*"' '\(bmap)' | tail -1 | cut -d'"' -f2)
            sed -i "s/$old/$(printf '%064d' 0)/" '\(bmap)'
            own=$(sed -n 's/.*<BmapFileChecksum> *\\([0-9a-f]*\\) *<.*/\\1/p' '\(bmap)')
            sed -i "s/$own/$(printf '%064d' 0)/" '\(bmap)'
            sed -i "s/<BmapFileChecksum> *0\\{64\\}/<BmapFileChecksum> $(sha256sum < '\(bmap)' | cut -c1-64)/" '\(bmap)'
            """)
        let loop = try dirtyStick()
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"])
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("differs from disk.img.bmap in bytes \(20 << 20)-"), "\(result.stderr)")
        #expect(result.stderr.contains("pass --no-bmap. \(loop.path) was left blank"), "two sentences: \(result.stderr)")
        #expect(!(try Blkid.findsSignature(on: loop.path)), "LBA 0 blank")
    }

    /// A bmap made for an image of another size (here the same image cut to 40 MiB), given with a
    /// stream that does not state its size: its end is where the sizes are compared, before the
    /// first MiB is written. It was written, "verified", and the partition past 40 MiB was lost.
    @Test func aBmapForAnotherSizeIsRefusedWhereAStreamOfUnstatedSizeEnds() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try sparseImage(in: dir)
        let other = dir.appendingPathComponent("other.bmap").path
        try Shell.bash("""
            cp --sparse=always '\(image)' '\(dir.path)/cut.img' && truncate -s 40M '\(dir.path)/cut.img'
            bmaptool create -o '\(other)' '\(dir.path)/cut.img' 2>/dev/null
            gzip -k '\(image)' && zstd -q -c < '\(image)' > '\(image).zst'
            """)
        for written in [image + ".gz", image + ".zst"] {
            let loop = try dirtyStick()
            defer { loop.detach() }
            let result = try EdgeFlashBinary.run(["write", written, loop.path, "--bmap", other, "--yes", "--no-probe"])
            #expect(result.status == 4, "\(written): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains("other.bmap maps an image of \(40 << 20) bytes, but \(written) is \(48 << 20) bytes"), "\(result.stderr)")
            #expect(!(try Blkid.findsSignature(on: loop.path)), "\(written): LBA 0 blank")
        }
    }

    @Test func aSignedBmapIsCheckedAndABadSignatureRefused() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try sparseImage(in: dir)
        let vendor = try SigningKey(in: dir)
        try Shell.bash("""
            cd '\(dir.path)'
            bmaptool create -o disk.img.bmap disk.img 2>/dev/null
            echo other > other.txt
            """)
        try vendor.detachSign(image + ".bmap", to: image + ".bmap.asc", armor: true)
        try vendor.detachSign(dir.appendingPathComponent("other.txt").path, to: dir.appendingPathComponent("other.asc").path, armor: true)
        let keyring = vendor.keyring.path
        let loop = try dirtyStick()
        defer { loop.detach() }
        let good = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--keyring", keyring])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(try cmp(image, loop.path, count: 1241 * 4096))

        try Shell.bash("cp '\(dir.path)/other.asc' '\(dir.path)/disk.img.bmap.asc'")
        try Shell.bash("dd if=/usr/lib/ipxe/ipxe.iso of=\(loop.path) bs=1M oflag=direct status=none")
        let bad = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--keyring", keyring])
        #expect(bad.status == 4, "\(bad.stderr)")
        #expect(bad.stderr.contains("does not verify disk.img.bmap"), "\(bad.stderr)")
        #expect(try cmp("/usr/lib/ipxe/ipxe.iso", loop.path, count: 2 << 20), "refused before anything was written")

        let unmapped = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--no-bmap"])
        #expect(unmapped.status == 0, "--no-bmap skips the bmap and its signature: \(unmapped.stderr)")
    }

    /// A bmap that is itself a clearsigned message (`gpg --clearsign`), as bmaptool accepts it: its
    /// signed text is followed; the same file with one range checksum changed inside the signed
    /// text is refused as a bad detached signature is, before anything is written.
    @Test func aClearsignedBmapIsFollowedAndATamperedOneRefused() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try sparseImage(in: dir)
        let vendor = try SigningKey(in: dir)
        let plain = dir.appendingPathComponent("plain.bmap").path
        try Shell.bash("bmaptool create -o '\(plain)' '\(image)' 2>/dev/null")
        try vendor.clearsign(plain, to: image + ".bmap")
        let keyring = vendor.keyring.path
        let loop = try dirtyStick()
        defer { loop.detach() }
        let good = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--keyring", keyring])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("2 ranges from disk.img.bmap"), "\(good.stdout)")
        #expect(try cmp(image, loop.path, count: 1241 * 4096), "the ISO's range")
        #expect(try cmp(image, loop.path, from: 20 << 20, count: 3 << 20), "the data at 20 MiB")
        #expect(!(try cmp(image, loop.path, from: 10 << 20, count: 1 << 20)), "unmapped blocks are left as they were")

        try Shell.bash("""
            old=$(grep -o 'chksum="[0-9a-f]*"' '\(image).bmap' | tail -1 | cut -d'"' -f2)
            sed -i "s/$old/$(printf '%064d' 0)/" '\(image).bmap'
            dd if=/usr/lib/ipxe/ipxe.iso of=\(loop.path) bs=1M oflag=direct status=none
            """)
        let bad = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--keyring", keyring])
        #expect(bad.status == 4, "\(bad.stderr)")
        #expect(bad.stderr.contains("the clearsigned bmap disk.img.bmap does not verify"), "\(bad.stderr)")
        #expect(bad.stderr.contains("BAD signature"), "\(bad.stderr)")
        #expect(try cmp("/usr/lib/ipxe/ipxe.iso", loop.path, count: 2 << 20), "refused before anything was written")
    }

    /// A bmap with 512-byte blocks (valid: bmaptool takes it) on a disk of 4096-byte sectors: a
    /// range that starts inside a sector is refused before writing, naming the cause. Was: an I/O
    /// error (exit 5) once the write had begun. Ranges on whole sectors are written.
    @Test func aBmapWhoseRangesSplitTheDisksSectorsIsRefusedBeforeWriting() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("disk.img").path, backing = dir.appendingPathComponent("stick.img").path
        try Shell.bash("""
            head -c 16M /dev/urandom > '\(image)'
            truncate -s 64M '\(backing)' && printf 'old stick' | dd of='\(backing)' conv=notrunc status=none
            """)
        func bmap(_ ranges: [(Int, Int)]) throws -> String {
            let path = dir.appendingPathComponent("map-\(ranges.count)-\(ranges[1].0).bmap").path
            let lines = ranges.map { "<Range> \($0.0)-\($0.1) </Range>" }.joined(separator: "\n")
            try """
                <?xml version="1.0" ?>
                <bmap version="1.2">
                <ImageSize> \(16 << 20) </ImageSize> <BlockSize> 512 </BlockSize> <BlocksCount> \(16 << 11) </BlocksCount>
                <MappedBlocksCount> \(ranges.reduce(0) { $0 + $1.1 - $1.0 + 1 }) </MappedBlocksCount>
                <BlockMap>
                \(lines)
                </BlockMap>
                </bmap>
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let loop = try Shell.bash("losetup -f --show --sector-size 4096 '\(backing)'").trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? Shell.run("losetup", ["-d", loop]) }

        let refused = try EdgeFlashBinary.run(["write", image, loop, "--yes", "--no-probe", "--bmap", try bmap([(0, 15), (13107, 13109)])])
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("ranges are not aligned to the 4096-byte sectors of \(loop): bytes 6710784-6712319"), "\(refused.stderr)")
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: backing)).prefix(9), as: UTF8.self) == "old stick")

        let written = try EdgeFlashBinary.run(["write", image, loop, "--yes", "--no-probe", "--bmap", try bmap([(0, 15), (13104, 13111)])])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try cmp(image, loop, from: 13104 * 512, count: 4096))
    }
}

