import Foundation
import Testing
import TestSupport

/// What `write` says of what it did, in words and in `--json`: a mapped write's sizes, a compressed
/// image's sizes and what its checksum covered, a disk given by a link.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct WriteWordingTests {
    static let iso = "/usr/lib/grub-rescue/grub-rescue-cdrom.iso"

    func json(_ line: Substring?) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data((line ?? "").utf8)) as? [String: Any])
    }

    @Test func aMappedWriteSaysTheImagesSizeAndTheBytesWrittenInOneRange() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("disk.img").path
        try Shell.bash("""
            truncate -s 32M '\(image)'
            head -c 64K /dev/urandom | dd of='\(image)' bs=1M seek=4 conv=notrunc status=none
            bmaptool create -o '\(image).bmap' '\(image)' 2>/dev/null
            """)
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe",
                                             "--log", dir.appendingPathComponent("log.jsonl").path])
        #expect(write.status == 0, "\(write.stderr)")
        #expect(write.stdout.contains("Wrote disk.img (33.6 MB image; "), "\(write.stdout)")
        #expect(write.stdout.contains("65.5 kB in 1 range from disk.img.bmap"), "\(write.stdout)")
    }

    @Test func writeJSONSaysTheDecodedSizeAndWhatTheChecksumCovers() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let xz = dir.appendingPathComponent("rescue.iso.xz").path
        try Shell.bash("xz -c '\(Self.iso)' > '\(xz)' && cd '\(dir.path)' && sha256sum rescue.iso.xz > rescue.iso.xz.sha256")
        let decoded = String(try Shell.bash("sha256sum '\(Self.iso)'").prefix(64))
        let isoSize = try #require(try FileManager.default.attributesOfItem(atPath: Self.iso)[.size] as? Int)
        let xzSize = try #require(try FileManager.default.attributesOfItem(atPath: xz)[.size] as? Int)
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let log = dir.appendingPathComponent("log.jsonl").path
        for (extra, covers) in [([String](), "compressed"), (["--sha256", decoded], "decoded")] {
            let write = try EdgeFlashBinary.run(["write", xz, loop.path, "--yes", "--no-probe", "--json", "--log", log] + extra)
            #expect(write.status == 0, "\(write.stderr)")
            let result = try json(write.stdout.split(separator: "\n").last)
            #expect(result["imageBytes"] as? Int == xzSize, "the file as stored")
            #expect(result["decodedBytes"] as? Int == isoSize, "the image as the stick holds it")
            #expect((result["checksum"] as? [String: Any])?["covers"] as? String == covers, "\(extra)")
        }
    }

    @Test func aDiskGivenByALinkIsLoggedAndNamedAsItsOwnPathWithTheLink() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let link = dir.appendingPathComponent("stick").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: loop.path)
        let log = dir.appendingPathComponent("log.jsonl").path
        let write = try EdgeFlashBinary.run(["write", Self.iso, link, "--yes", "--no-probe", "--log", log])
        #expect(write.status == 0, "\(write.stderr)")
        #expect(write.stdout.contains("to \(loop.path) (given as \(link)) in"), "\(write.stdout)")
        let record = try json(try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").last)
        #expect(record["device"] as? String == loop.path)
        #expect(record["givenPath"] as? String == link)
    }
}
