import Foundation
import Testing
import TestSupport
import EdgeCore
@testable import ISOVerify

/// bmap files as bmaptool writes them (2.0, made by the real bmaptool) and as older versions did
/// (1.3 with SHA-1 ranges, 1.2 without checksums).
@Suite struct BlockMapTests {
    static let legacy13 = """
        <?xml version="1.0" ?>
        <!-- <MappedBlocksCount> blocks instead of <BlocksCount> blocks -->
        <bmap version="1.3">
            <ImageSize> 10000 </ImageSize>
            <BlockSize> 4096 </BlockSize>
            <BlocksCount> 3 </BlocksCount>
            <MappedBlocksCount> 2 </MappedBlocksCount>
            <BmapFileSHA1> 0000000000000000000000000000000000000000 </BmapFileSHA1>
            <BlockMap>
                <Range sha1="aaaa"> 0 </Range>
                <Range sha1="bbbb"> 2 </Range>
            </BlockMap>
        </bmap>
        """

    @Test func bmaptoolsOwnFileParsesAndItsChecksumHolds() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-bmap")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("disk.img").path
        try Shell.bash("""
            truncate -s 16M '\(image)'
            dd if=/usr/lib/ipxe/ipxe.iso of='\(image)' conv=notrunc status=none
            head -c 1M /dev/urandom | dd of='\(image)' bs=1M seek=8 conv=notrunc status=none
            bmaptool create -o '\(image).bmap' '\(image)' 2>/dev/null
            """)
        let checked = try BlockMap.load(image + ".bmap", keyring: nil)
        let map = checked.map
        #expect(map.version == "2.0")
        #expect(map.imageSize == 16 << 20 && map.blockSize == 4096)
        #expect(map.checksumType == "sha256")
        #expect(map.ranges.count == 2)
        #expect(map.byteRange(map.ranges[1]) == (8 << 20)..<(9 << 20))
        #expect(checked.signature == nil)
        #expect(BlockMap.discover(forImage: image + ".xz") == image + ".bmap", "disk.img.xz finds disk.img.bmap")

        // One range's checksum changed: the file's own checksum no longer holds.
        let text = try String(contentsOfFile: image + ".bmap", encoding: .utf8)
        let altered = text.replacingOccurrences(of: "chksum=\"\(map.ranges[0].checksum!)\"", with: "chksum=\"\(String(repeating: "0", count: 64))\"")
        try altered.write(toFile: image + ".bmap", atomically: true, encoding: .utf8)
        let error = try #require(throws: EdgeError.self) { try BlockMap.load(image + ".bmap", keyring: nil) }
        #expect(error.code == .mismatch)
        #expect(error.message.contains("is damaged"), "\(error.message)")
    }

    /// A clearsigned bmap: gpgv checks it and only the text it signed is parsed; another bmap put
    /// before or after the signed part is ignored. A key not in the keyring is a refusal (exit 4).
    @Test func aClearsignedBmapIsReadFromItsSignedTextOnly() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-bmap")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("disk.img").path, bmap = image + ".bmap"
        try Shell.bash("""
            truncate -s 16M '\(image)'
            head -c 1M /dev/urandom | dd of='\(image)' bs=1M seek=8 conv=notrunc status=none
            bmaptool create -o '\(dir.path)/plain.bmap' '\(image)' 2>/dev/null
            """)
        let vendor = try SigningKey(in: dir), other = try SigningKey(in: dir, name: "Other")
        try vendor.clearsign(dir.appendingPathComponent("plain.bmap").path, to: bmap)
        let signed = try String(contentsOfFile: bmap, encoding: .utf8)
        try (Self.legacy13 + "\n" + signed + Self.legacy13).write(toFile: bmap, atomically: true, encoding: .utf8)

        let checked = try BlockMap.load(bmap, keyring: vendor.keyring)
        #expect(checked.map.version == "2.0" && checked.map.imageSize == 16 << 20, "the signed map, not the 1.3 one around it")
        #expect(checked.map.ranges.count == 1)
        #expect(checked.map.byteRange(checked.map.ranges[0]) == (8 << 20)..<(9 << 20))
        #expect(checked.signature?.contains("Good signature from \"Vendor") == true, "\(checked.signature ?? "nil")")

        let error = try #require(throws: EdgeError.self) { try BlockMap.load(bmap, keyring: other.keyring) }
        #expect(error.code == .mismatch)
        #expect(error.message.contains("the clearsigned bmap disk.img.bmap does not verify"), "\(error.message)")
    }

    @Test func olderFormatsParse() throws {
        let map = try BlockMap.parse(Self.legacy13, fileName: "old.bmap")
        #expect(map.checksumType == "sha1")
        #expect(map.ranges == [.init(first: 0, last: 0, checksum: "aaaa"), .init(first: 2, last: 2, checksum: "bbbb")])
        #expect(map.byteRange(map.ranges[1]) == 8192..<10000, "the last block ends with the image")
        let v12 = Self.legacy13.replacingOccurrences(of: "version=\"1.3\"", with: "version=\"1.2\"")
        #expect(try BlockMap.parse(v12, fileName: "old.bmap").checksumType == nil)
    }

    /// Format 1.4 and 2.0 name their checksum type; one that does not is refused, as bmaptool refuses
    /// it, rather than read as a map without checksums (its ranges and its own checksum unchecked).
    @Test func aModernBmapWithoutItsChecksumTypeIsRefused() throws {
        for version in ["2.0", "1.4"] {
            let modern = Self.legacy13.replacingOccurrences(of: "version=\"1.3\"", with: "version=\"\(version)\"")
                .replacingOccurrences(of: "BmapFileSHA1", with: "BmapFileChecksum").replacingOccurrences(of: "sha1=", with: "chksum=")
            let error = try #require(throws: EdgeError.self) { try BlockMap.parse(modern, fileName: "nocktype.bmap") }
            #expect(error.code == .malformed)
            #expect(error.message.contains("<ChecksumType>"), "\(error.message)")
            let named = modern.replacingOccurrences(of: "<BlockMap>", with: "<ChecksumType> sha1 </ChecksumType>\n<BlockMap>")
            #expect(try BlockMap.parse(named, fileName: "ok.bmap").checksumType == "sha1")
        }
        // 1.3 says nothing of its type: SHA-1 (as bmaptool reads it); 1.5 has no checksums for bmaptool.
        let v15 = Self.legacy13.replacingOccurrences(of: "version=\"1.3\"", with: "version=\"1.5\"")
        #expect(try BlockMap.parse(v15, fileName: "v15.bmap").checksumType == nil)
    }

    @Test func inconsistentMapsAreRefused() {
        for (from, to) in [("<BlocksCount> 3 ", "<BlocksCount> 4 "), ("<MappedBlocksCount> 2 ", "<MappedBlocksCount> 3 "),
                           ("> 2 </Range>", "> 7 </Range>"), ("version=\"1.3\"", "version=\"3.0\"")] {
            let text = Self.legacy13.replacingOccurrences(of: from, with: to)
            #expect(throws: EdgeError.self, "\(to)") { try BlockMap.parse(text, fileName: "bad.bmap") }
        }
    }

    /// The ranges are scanned as bytes: a comment (with text outside ASCII, and a <Range> of its own)
    /// is skipped, and a map of many ranges is read whole.
    @Test func commentsAreSkippedAndManyRangesAreReadWhole() throws {
        let count = 50_000
        let ranges = (0..<count).map { "<Range> \($0 * 2) </Range>\n" }.joined()
        let text = """
            <?xml version="1.0" ?>
            <!-- Größe: <Range> 1 </Range> is in a comment -->
            <bmap version="1.2">
            <ImageSize> \(count * 2 * 4096) </ImageSize> <BlockSize> 4096 </BlockSize>
            <BlocksCount> \(count * 2) </BlocksCount> <MappedBlocksCount> \(count) </MappedBlocksCount>
            <BlockMap>
            \(ranges)</BlockMap>
            </bmap>
            """
        let map = try BlockMap.parse(text, fileName: "many.bmap")
        #expect(map.ranges.count == count)
        #expect(map.ranges.first == .init(first: 0, last: 0, checksum: nil))
        #expect(map.ranges.last == .init(first: Int64(count - 1) * 2, last: Int64(count - 1) * 2, checksum: nil))
    }
}
