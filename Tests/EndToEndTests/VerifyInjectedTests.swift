import Foundation
import Testing
import TestSupport

/// `verify --against` on a stick written with `--user-data`: the tables inject rewrote are
/// expected to hold the image's tables plus the user-data entry, everything else of the image
/// region byte for byte, and the volume is checked. A change anywhere else still fails.
@Suite(.serialized)
struct VerifyInjectedTests {
    /// Flips every bit of the byte at `offset` on `device`, through the device itself.
    func flip(_ device: String, at offset: Int64) throws {
        try Shell.bash("""
            b=$(dd if='\(device)' bs=1 skip=\(offset) count=1 status=none | od -An -tu1 | tr -d ' ')
            printf "\\\\$(printf '%03o' $(( b ^ 255 )))" | dd of='\(device)' bs=1 seek=\(offset) conv=notrunc,fsync status=none
            """)
    }

    func verify(_ image: String, _ device: String, json: Bool = false) throws -> ShellResult {
        try EdgeFlashBinary.run(["verify", image, "--against", device, "--sha256", String(try Shell.bash("sha256sum '\(image)'").prefix(64))]
                                + (json ? ["--json"] : []))
    }

    func injection(_ result: ShellResult) throws -> [String: Any] {
        let line = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return try #require(object["injection"] as? [String: Any])
    }

    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func anMBRStickWithUserDataPassesAndAnythingElseChangedFails() throws {
        let loop = try LoopDevice(size: 128 << 20)
        defer { loop.detach() }
        let image = InstallerImages.ipxe
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--user-data", try userDataFile(validUserData)])
        #expect(write.status == 0, "\(write.stderr)")

        let good = try verify(image, loop.path)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("except the partition table entries inject rewrote (bytes 446-511)"), "\(good.stdout)")
        #expect(good.stdout.contains("user-data volume CIDATA (vfat) at byte \(2 << 20) (partition 2) intact, user-data \(validUserData.utf8.count) bytes"), "\(good.stdout)")
        let object = try injection(try verify(image, loop.path, json: true))
        #expect(object["layout"] as? String == "mbr" && object["volumeState"] as? String == "intact")
        let ranges = try #require(object["rewrittenRanges"] as? [[String: Any]])
        #expect(ranges.count == 1 && ranges[0]["offset"] as? Int == 446 && ranges[0]["length"] as? Int == 66)
        #expect((object["volume"] as? [String: Any])?["userDataBytes"] as? Int == validUserData.utf8.count)

        // Outside the table area, and inside it where inject changed nothing (partition 1's entry).
        for offset: Int64 in [1_500_000, 447] {
            try flip(loop.path, at: offset)
            let bad = try verify(image, loop.path)
            #expect(bad.status == 4)
            #expect(bad.stderr.contains("byte offset \(offset)"), "\(bad.stderr)")
            try flip(loop.path, at: offset)
        }

        // The volume's FAT boot sector zeroed.
        try Shell.bash("dd if=/dev/zero of='\(loop.path)' bs=512 seek=\((2 << 20) / 512) count=1 conv=notrunc,fsync status=none")
        let damaged = try verify(image, loop.path, json: true)
        #expect(damaged.status == 4)
        #expect(damaged.stderr.contains("not a user-data volume"), "\(damaged.stderr)")
        #expect(try injection(damaged)["volumeState"] as? String == "damaged")
    }

    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func aGPTHybridWithUserDataPassesAndAChangedEntryFails() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try InstallerImages.grubRescueHybrid(in: dir)
        let loop = try LoopDevice(size: 256 << 20)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--user-data", try userDataFile(validUserData)])
        #expect(write.status == 0, "\(write.stderr)")

        let good = try verify(image, loop.path)
        #expect(good.status == 0, "\(good.stderr)")
        // The protective MBR entry, the primary header, its entry array, and the backup at the end.
        let entriesLBA = try loop.read(offset: 512 + 72, count: 8).reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(good.stdout.contains("inject rewrote (bytes 446-511, LBA 1, LBA \(entriesLBA)-"), "\(good.stdout)")
        #expect(good.stdout.contains("-524287 at the disk's end)"), "\(good.stdout)")
        #expect(good.stdout.contains("user-data volume CIDATA (vfat)") && good.stdout.contains("user-data \(validUserData.utf8.count) bytes"))

        // A byte of partition 1's GPT entry (its name), which inject kept as the image had it.
        let offset = Int64(entriesLBA) * 512 + 60
        try flip(loop.path, at: offset)
        let bad = try verify(image, loop.path)
        #expect(bad.status == 4)
        #expect(bad.stderr.contains("byte offset \(offset)"), "\(bad.stderr)")
        try flip(loop.path, at: offset)
        #expect(try verify(image, loop.path).status == 0)

        // A byte of the image outside the tables.
        try flip(loop.path, at: 100_000)
        let changed = try verify(image, loop.path)
        #expect(changed.status == 4)
        #expect(changed.stderr.contains("byte offset 100000"), "\(changed.stderr)")
    }

    /// An ISO 9660 volume is read as the FAT one is: its root directory must hold user-data, read
    /// whole from inside the volume; with the directory gone, the volume is damaged.
    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func anISO9660UserDataVolumeHasItsFilesRead() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let image = InstallerImages.ipxe
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--user-data", try userDataFile(validUserData), "--fs", "iso9660"])
        #expect(write.status == 0, "\(write.stderr)")

        let good = try verify(image, loop.path, json: true)
        #expect(good.status == 0, "\(good.stderr)")
        let volume = try #require(try injection(good)["volume"] as? [String: Any])
        #expect(volume["fileSystem"] as? String == "iso9660" && volume["label"] as? String == "cidata")
        #expect(volume["userDataBytes"] as? Int == validUserData.utf8.count)
        let text = try verify(image, loop.path)
        #expect(text.stdout.contains("user-data volume cidata (iso9660) at byte \(2 << 20) (partition 2) intact, user-data \(validUserData.utf8.count) bytes"),
                "\(text.stdout)")

        // The root directories' sectors zeroed (the primary's and Joliet's): the label and size
        // still check out, the files are gone.
        let start: Int64 = 2 << 20
        for descriptor: Int64 in [16, 17] where try loop.read(offset: start + descriptor * 2048, count: 1) != Data([255]) {
            let rootLBA = try loop.read(offset: start + descriptor * 2048 + 156 + 2, count: 4).reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) }
            try Shell.bash("dd if=/dev/zero of='\(loop.path)' bs=2048 seek=\((start + rootLBA * 2048) / 2048) count=1 conv=notrunc,fsync status=none")
        }
        let damaged = try verify(image, loop.path, json: true)
        #expect(damaged.status == 4)
        #expect(damaged.stderr.contains("the user-data volume on partition 2 of \(loop.path) (byte \(start))"), "\(damaged.stderr)")
        #expect(damaged.stderr.contains("user-data"), "\(damaged.stderr)")
        #expect(try injection(damaged)["volumeState"] as? String == "damaged")
    }

    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func aStickWithoutUserDataIsComparedAsBefore() throws {
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        #expect(try EdgeFlashBinary.run(["write", InstallerImages.ipxe, loop.path, "--yes", "--no-verify"]).status == 0)
        let result = try verify(InstallerImages.ipxe, loop.path, json: true)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("injection"))
    }
}
