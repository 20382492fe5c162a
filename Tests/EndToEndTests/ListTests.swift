import Foundation
import Testing
import TestSupport

/// `edgeflash list` run as a program, against a loop device this test attaches.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct ListTests {
    static let mib: Int64 = 1 << 20

    /// A 64 MiB loop device with a GPT and a FAT volume labelled EDGEDEMO in partition 1.
    static func attachStick() throws -> LoopDevice {
        let loop = try LoopDevice(size: 64 * mib, directIO: false)
        let image = loop.backingFile.path
        try Shell.bash("""
            sgdisk -n1:2048:+16M -t1:ef00 '\(image)' >/dev/null
            mkfs.fat -F 16 -n EDGEDEMO --offset 2048 '\(image)' 16384 >/dev/null
            blockdev --flushbufs \(loop.path)
            """)
        return loop
    }

    @Test func allJSONShowsTheLoopDeviceWithSizeAndPartitions() throws {
        let loop = try Self.attachStick()
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["list", "--all", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["schemaVersion"] as? Int == 1)
        let disks = try #require(document["disks"] as? [[String: Any]])
        let disk = try #require(disks.first { $0["path"] as? String == loop.path })
        #expect(disk["size"] as? Int64 == 64 * Self.mib)
        #expect(disk["transport"] as? String == "loop")
        #expect(disk["partitionTable"] as? String == "gpt")
        #expect(disk["candidate"] as? Bool == false)
        #expect(disk["notCandidateReason"] as? String == "loop device (a file-backed virtual disk)")
        #expect(disk["system"] as? Bool == false)
        #expect(disk["backingFile"] as? String == loop.backingFile.path)
        let partitions = try #require(disk["partitions"] as? [[String: Any]])
        #expect(partitions.count == 1)
        #expect(partitions.first?["path"] as? String == "\(loop.path)p1")
        #expect(partitions.first?["start"] as? Int64 == Self.mib)
        #expect(partitions.first?["size"] as? Int64 == 16 * Self.mib)
        #expect(partitions.first?["fsType"] as? String == "vfat")
        #expect(partitions.first?["label"] as? String == "EDGEDEMO")
        #expect(partitions.first?["hasDeviceNode"] as? Bool == false)
    }

    @Test func defaultListLeavesLoopDevicesOutAndAllShowsWhy() throws {
        let loop = try Self.attachStick()
        defer { loop.detach() }
        let candidates = try EdgeFlashBinary.run(["list"])
        #expect(candidates.status == 0)
        #expect(!candidates.stdout.contains(loop.path))

        let all = try EdgeFlashBinary.run(["list", "--all"])
        #expect(all.status == 0)
        let row = try #require(all.stdout.split(separator: "\n").first { $0.hasPrefix(loop.path + " ") })
        #expect(row.contains("67.1 MB"))
        #expect(row.contains("EDGEDEMO"))
        #expect(row.contains("not offered: loop device"))
        #expect(all.stdout.contains("  \(loop.path)p1"))
    }

    @Test func noCandidateJSONIsStillADocument() throws {
        let result = try EdgeFlashBinary.run(["list", "--json"])
        #expect(result.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let disks = try #require(document["disks"] as? [[String: Any]])
        // This machine's only real disk holds /: it must never be offered.
        #expect(disks.allSatisfy { $0["system"] as? Bool == false && $0["candidate"] as? Bool == true })
    }
}
