import Foundation
import Testing
import TestSupport

/// `check` and `verify --against` after a write through a bmap onto a used stick: its unmapped
/// blocks keep the stick's old bytes (bmaptool's "don't care"), so the stick is judged by the
/// ranges the bmap maps.
extension MappedWriteTests {
    /// An 8 MiB GPT disk image (1 MiB of data at 2 MiB, holes elsewhere) and its bmap from bmaptool.
    func gptImageWithBmap(in dir: URL) throws -> String {
        let image = dir.appendingPathComponent("disk.img").path
        try Shell.bash("""
            truncate -s 8M '\(image)'
            sgdisk -o -n1:2048:0 '\(image)' >/dev/null
            head -c 1M /dev/urandom | dd of='\(image)' bs=1M seek=2 conv=notrunc status=none
            bmaptool create -o '\(image).bmap' '\(image)' 2>/dev/null
            """)
        return image
    }

    /// A 16 MiB stick full of 0xFF: what a write through a bmap does not map stays 0xFF.
    func stickOfFF() throws -> LoopDevice {
        let loop = try LoopDevice(size: 16 << 20)
        try Shell.bash("dd if=/dev/zero bs=1M count=16 status=none | tr '\\0' '\\377' | dd of=\(loop.path) bs=1M iflag=fullblock oflag=direct status=none")
        return loop
    }

    /// The log's last line.
    func lastRecord(_ log: String) throws -> [String: Any] {
        let line = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").last ?? ""
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func aStickWrittenThroughABmapIsIntactInItsRangesAndAChangedByteInThemIsNamed() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try gptImageWithBmap(in: dir)
        let log = dir.appendingPathComponent("flash.jsonl").path
        let loop = try stickOfFF()
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--log", log])
        #expect(write.status == 0, "\(write.stderr)")
        #expect(write.stdout.contains("in 3 ranges from disk.img.bmap"), "\(write.stdout)")
        #expect(!(try cmp(image, loop.path, from: 5 << 20, count: 1 << 20)), "an unmapped block kept the stick's 0xFF")

        // The log names the write by its ranges' digest, as the documented shell recipe takes it.
        let mapped = try #require(try lastRecord(log)["mapped"] as? [String: Any])
        let ranges = try #require(mapped["ranges"] as? [[Int64]])
        #expect(mapped["bmap"] as? String == "disk.img.bmap")
        let recipe = ranges.map { "dd if='\(image)' iflag=skip_bytes,count_bytes skip=\($0[0]) count=\($0[1]) status=none | sha256sum | cut -c1-64" }
        let digest = try Shell.bash("(\(recipe.joined(separator: "; "))) | sha256sum | cut -c1-64").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(mapped["sha256"] as? String == digest)

        let check = try EdgeFlashBinary.run(["check", loop.path, "--log", log])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("disk.img.bmap maps"), "\(check.stdout)")
        #expect(check.stdout.contains("intact: the image disk.img in the log"), "\(check.stdout)")
        let checkImage = try EdgeFlashBinary.run(["check", loop.path, "--image", image, "--log", log])
        #expect(checkImage.status == 0, "\(checkImage.stdout)\(checkImage.stderr)")
        #expect(checkImage.stdout.contains("intact: matches \(image)"), "\(checkImage.stdout)")
        let verify = try EdgeFlashBinary.run(["verify", image, "--against", loop.path])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("disk.img.bmap maps in its first 8.4 MB"), "\(verify.stdout)")
        #expect(verify.stdout.contains("were not compared"), "\(verify.stdout)")
        let whole = try EdgeFlashBinary.run(["verify", image, "--against", loop.path, "--no-bmap"])
        #expect(whole.status == 4, "--no-bmap compares every byte: \(whole.stderr)")

        // One byte inside the data's range, changed on the stick.
        let offset: Int64 = (2 << 20) + 12345
        let reader = try FileHandle(forReadingFrom: URL(fileURLWithPath: image))
        try reader.seek(toOffset: UInt64(offset))
        let original = try #require(try reader.read(upToCount: 1)?.first)
        try reader.close()
        let writer = try #require(FileHandle(forWritingAtPath: loop.path))
        try writer.seek(toOffset: UInt64(offset))
        try writer.write(contentsOf: Data([original ^ 0xFF]))
        try writer.synchronize()
        try writer.close()

        let changedVerify = try EdgeFlashBinary.run(["verify", image, "--against", loop.path])
        #expect(changedVerify.status == 4, "\(changedVerify.stderr)")
        #expect(changedVerify.stderr.contains("at byte offset \(offset)"), "\(changedVerify.stderr)")
        let changedImage = try EdgeFlashBinary.run(["check", loop.path, "--image", image, "--log", log])
        #expect(changedImage.status == 4, "\(changedImage.stderr)")
        #expect(changedImage.stderr.contains("at byte offset \(offset), inside the 3 ranges disk.img.bmap maps"), "\(changedImage.stderr)")
        let changed = try EdgeFlashBinary.run(["check", loop.path, "--log", log])
        #expect(changed.status == 4, "\(changed.stderr)")
        #expect(changed.stderr.contains("does not match disk.img written to it"), "\(changed.stderr)")
    }

    /// A sparse raw image (no table, no ISO 9660: nothing on the stick says how long it is),
    /// written without a bmap or a checksum: the write reads its data extents only and logs no
    /// SHA-256, so `check` cannot name it and says why, giving the log's length and what to run;
    /// `check --image` then finds it intact, and a byte changed in a data extent or in a hole.
    @Test func aSparseImageWrittenWithoutADigestIsNamedByCheckImageOnly() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("raw.img").path
        try Shell.bash("""
            truncate -s 32M '\(image)'
            head -c 1M /dev/urandom | dd of='\(image)' bs=1M seek=1 conv=notrunc status=none
            head -c 2M /dev/urandom | dd of='\(image)' bs=1M seek=20 conv=notrunc status=none
            """)
        let log = dir.appendingPathComponent("flash.jsonl").path
        let loop = try dirtyStick()
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe", "--log", log])
        #expect(write.status == 0 && write.stdout.contains("from the sparse file's data extents"), "\(write.stdout)\(write.stderr)")
        #expect(try lastRecord(log)["imageSHA256"] == nil, "the write hashed no whole image")

        let check = try EdgeFlashBinary.run(["check", loop.path, "--log", log])
        #expect(check.status == 1, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("image region 33.6 MB (33554432 bytes)"), "\(check.stdout)")
        #expect(check.stdout.contains("not named: the log's write of raw.img"), "\(check.stdout)")
        #expect(check.stderr.contains("as a sparse image, by its data extents alone and without a SHA-256 checksum"), "\(check.stderr)")
        #expect(check.stderr.contains("edgeflash check \(loop.path) --image raw.img"), "\(check.stderr)")

        let intact = try EdgeFlashBinary.run(["check", loop.path, "--image", image, "--log", log])
        #expect(intact.status == 0, "\(intact.stdout)\(intact.stderr)")
        #expect(intact.stdout.contains("intact: matches \(image), written "), "\(intact.stdout)")
        #expect(intact.stdout.contains("no user-data volume, as written"), "\(intact.stdout)")

        func put(_ byte: UInt8, at offset: Int64) throws {
            let writer = try #require(FileHandle(forWritingAtPath: loop.path))
            try writer.seek(toOffset: UInt64(offset))
            try writer.write(contentsOf: Data([byte]))
            try writer.synchronize()
            try writer.close()
        }
        for offset: Int64 in [(20 << 20) + 4321, (10 << 20) + 7] {  // in a data extent, in a hole
            let before = try #require(try loop.read(offset: offset, count: 1).first)
            try put(before ^ 0xFF, at: offset)
            let changed = try EdgeFlashBinary.run(["check", loop.path, "--image", image, "--log", log])
            #expect(changed.status == 4 && changed.stderr.contains("differs from \(image) at byte offset \(offset)"), "\(offset): \(changed.stderr)")
            try put(before, at: offset)
        }
    }
}
