import EdgeCore
import FileIO
import Foundation
import Testing
import TestSupport
@testable import ISOVerify

private let a64 = String(repeating: "a", count: 64)
private let b64 = String(repeating: "B", count: 64)
private let c128 = String(repeating: "c", count: 128)

@Suite struct ChecksumFileTests {
    @Test func gnuTextBinaryAndBSDLinesInOneFile() throws {
        let text = """
            # made by the build
            \(a64)  palette-edge-installer.iso
            \(b64) *other.iso
            SHA512 (third one.iso) = \(c128)

            """
        let entries = try ChecksumFile.parse(text, fileName: "SHA256SUMS")
        #expect(entries.map(\.name) == ["palette-edge-installer.iso", "other.iso", "third one.iso"])
        #expect(entries.map(\.algorithm) == [.sha256, .sha256, .sha512])
        #expect(entries[1].hex == String(repeating: "b", count: 64))
        #expect(entries[2].line == 4)
    }

    @Test func namesWithSpacesDirectoriesAndCRLF() throws {
        let entries = try ChecksumFile.parse("\(a64)  build/my image.iso\r\n", fileName: "x")
        #expect(entries[0].name == "build/my image.iso")
        #expect(try ChecksumFile.entry(for: "my image.iso", in: entries, dedicatedFile: false, file: "SHA256SUMS") != nil)
    }

    @Test func gnuEscapedName() throws {
        let entries = try ChecksumFile.parse("\\\(a64)  a\\\\b\\nc.iso", fileName: "x")
        #expect(entries[0].name == "a\\b\nc.iso")
    }

    /// Was: the first of two lines for one name won, whatever the second said (right then wrong
    /// wrote; wrong then right refused), and `arm64/x.iso` before `amd64/x.iso` was taken as the
    /// image's line. Lines that disagree name no image: refused. The same digest twice, or a
    /// SHA-256 beside a SHA-512, agree.
    @Test func linesForOneNameThatDisagreeAreRefused() throws {
        let b = b64.lowercased()
        for text in ["\(a64)  x.iso\n\(b)  x.iso\n", "\(a64)  arm64/x.iso\n\(b)  amd64/x.iso\n", "\(a64)  x.iso\nSHA256 (./x.iso) = \(b)\n"] {
            let entries = try ChecksumFile.parse(text, fileName: "SHA256SUMS")
            #expect(throws: EdgeError.self) { try ChecksumFile.entry(for: "x.iso", in: entries, dedicatedFile: false, file: "SHA256SUMS") }
            do {
                _ = try ChecksumFile.entry(for: "x.iso", in: entries, dedicatedFile: false, file: "SHA256SUMS")
            } catch let error as EdgeError {
                #expect(error.code == .malformed && error.message.hasPrefix("SHA256SUMS has lines for x.iso that disagree: "), "\(error.message)")
            }
            #expect(try ChecksumFile.entry(for: "y.iso", in: entries + [.init(algorithm: .sha256, hex: a64, name: "y.iso", line: 9)], dedicatedFile: false, file: "SHA256SUMS")?.hex == a64)
        }
        for text in ["\(a64)  x.iso\n\(a64)  ./x.iso\n", "\(a64)  x.iso\n\(c128)  x.iso\n"] {
            let entries = try ChecksumFile.parse(text, fileName: "SUMS")
            #expect(try ChecksumFile.entry(for: "x.iso", in: entries, dedicatedFile: false, file: "SUMS")?.hex == a64)
        }
    }

    @Test func bareDigestOnlyCountsInADedicatedFile() throws {
        let entries = try ChecksumFile.parse("\(a64)\n", fileName: "x.iso.sha256")
        #expect(entries[0].name == nil)
        #expect(try ChecksumFile.entry(for: "x.iso", in: entries, dedicatedFile: true, file: "x.iso.sha256")?.hex == a64)
        #expect(try ChecksumFile.entry(for: "x.iso", in: entries, dedicatedFile: false, file: "SHA256SUMS") == nil)
    }

    @Test(arguments: [
        ("zz" + String(repeating: "a", count: 62) + "  x.iso", "line 1 is malformed: expected '<hex>  name'"),
        (String(repeating: "a", count: 63) + "  x.iso", "63 hex digits"),
        (String(repeating: "a", count: 64) + " x.iso", "two spaces or ' *'"),
        (String(repeating: "a", count: 64) + "\tx.iso", "two spaces or ' *'"),
        ("SHA256 (x.iso) " + String(repeating: "a", count: 64), "expected 'SHA256 (name) = <hex>'"),
        ("SHA256 (x.iso) = " + String(repeating: "a", count: 128), "SHA256 digest has 128 hex digits"),
        ("MD5 (x.iso) = " + String(repeating: "a", count: 32), "unsupported algorithm MD5"),
        ("SHA256 () = " + String(repeating: "a", count: 64), "empty file name"),
        ("# only a comment\n\n", "holds no checksum"),
        ("\n" + String(repeating: "a", count: 64) + "  ok.iso\nnot a checksum", "line 3 is malformed"),
    ])
    func malformedFilesAreNamedPrecisely(text: String, expected: String) {
        do {
            _ = try ChecksumFile.parse(text, fileName: "SHA256SUMS")
            Issue.record("parsed malformed text: \(text)")
        } catch let error as EdgeError {
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(error.message.contains("SHA256SUMS"))
            #expect(error.exitStatus == .invalidInput)
        } catch { Issue.record("unexpected error \(error)") }
    }
}

@Suite struct ChecksumDiscoveryTests {
    private func directory(_ files: [String: String]) throws -> URL {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-sums")
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func prefersTheImagesOwnFile() throws {
        let dir = try directory(["img.iso.sha256": "\(a64)  img.iso\n", "SHA512SUMS": "\(c128)  img.iso\n"])
        let found = try #require(try ChecksumDiscovery.find(forImage: dir.appendingPathComponent("img.iso")))
        #expect(found.algorithm == .sha256 && found.hex == a64 && found.source == "img.iso.sha256" && found.lineName == "img.iso")
    }

    @Test func findsTheImageInASumsList() throws {
        let dir = try directory(["SHA256SUMS": "\(b64)  other.iso\n\(a64)  img.iso\n"])
        let found = try #require(try ChecksumDiscovery.find(forImage: dir.appendingPathComponent("img.iso")))
        #expect(found.hex == a64 && found.source == "SHA256SUMS")
    }

    @Test func fallsThroughToSHA512SUMSWhenSHA256SUMSLacksTheImage() throws {
        let dir = try directory(["SHA256SUMS": "\(b64)  other.iso\n", "SHA512SUMS": "SHA512 (img.iso) = \(c128)\n"])
        let found = try #require(try ChecksumDiscovery.find(forImage: dir.appendingPathComponent("img.iso")))
        #expect(found.algorithm == .sha512 && found.source == "SHA512SUMS")
    }

    @Test func nothingBesideTheImageIsNil() throws {
        let dir = try directory(["SHA256SUMS": "\(b64)  other.iso\n"])
        #expect(try ChecksumDiscovery.find(forImage: dir.appendingPathComponent("img.iso")) == nil)
    }

    @Test func aBrokenChecksumFileIsAnErrorNotUnverified() throws {
        let dir = try directory(["img.iso.sha256": "garbage\n"])
        #expect(throws: EdgeError.self) { try ChecksumDiscovery.find(forImage: dir.appendingPathComponent("img.iso")) }
    }

    /// Was: beside `img.iso.xz`, a checksum naming `img.iso` was not looked for, so a wrong one let
    /// the write pass as "unverified". Now it is found, over the decoded bytes; one naming the
    /// compressed file is over its stored bytes.
    @Test func besideACompressedImageTheDecompressedImagesChecksumCountsForTheDecodedBytes() throws {
        let compressed = "img.iso.xz"
        for (files, source, hex, coverage) in [
            (["SHA256SUMS": "\(b64)  other.iso\n\(a64)  img.iso\n"], "SHA256SUMS", a64, ExpectedChecksum.Coverage.image),
            (["img.iso.sha256": "\(a64)  img.iso\n"], "img.iso.sha256", a64, .image),
            (["img.iso.xz.sha256": "\(b64)  img.iso\n"], "img.iso.xz.sha256", b64, .image),
            (["SHA256SUMS": "\(a64)  img.iso\n\(b64)  img.iso.xz\n"], "SHA256SUMS", b64, .storedFile),
            (["img.iso.xz.sha256": "\(b64)\n", "img.iso.sha256": "\(a64)  img.iso\n"], "img.iso.xz.sha256", b64, .storedFile),
        ] {
            let dir = try directory(files)
            let found = try #require(try ChecksumDiscovery.find(forImage: dir.appendingPathComponent(compressed), decodedName: "img.iso"),
                                     "\(files)")
            #expect(found.source == source && found.hex == hex.lowercased() && found.coverage == coverage, "\(files): \(found)")
        }
        #expect(ChecksumDiscovery.candidateNames(forImageNamed: compressed, decodedName: "img.iso")
                == ["img.iso.xz.sha256", "img.iso.xz.sha512", "img.iso.sha256", "img.iso.sha512", "SHA256SUMS", "SHA512SUMS"])
    }

    /// Was: a list naming both `img.iso.xz` and `img.iso` gave the compressed file's line alone,
    /// and a wrong line for the decoded image was never checked. Now the one carries the other,
    /// found beside the image or named with --checksum; a list naming one of them carries nothing.
    @Test func aListNamingTheCompressedFileAndItsDecodedImageCarriesBothLines() throws {
        let dir = try directory(["SHA256SUMS": "\(a64)  img.iso\n\(b64)  img.iso.xz\n", "ONE.SUMS": "\(b64)  img.iso.xz\n"])
        let image = dir.appendingPathComponent("img.iso.xz")
        let named = { (file: String) in try CompressedImageChecksum.expected(.file(dir.appendingPathComponent(file).path), image: image) }
        for found in [try ChecksumDiscovery.find(forImage: image, decodedName: "img.iso"), try named("SHA256SUMS")] {
            let both = try #require(found)
            #expect(both.hex == b64.lowercased() && both.coverage == .storedFile && both.lineName == "img.iso.xz", "\(both)")
            #expect(both.decodedImageLine?.hex == a64 && both.decodedImageLine?.name == "img.iso", "\(both)")
            #expect(both.overImage?.hex == a64 && both.overImage?.coverage == .image && both.overImage?.lineName == "img.iso")
            #expect(both.matchDescription == "SHA256 of the compressed file and of the decoded image match SHA256SUMS")
        }
        let one = try #require(try named("ONE.SUMS"))
        #expect(one.coverage == .storedFile && one.decodedImageLine == nil && one.overImage == nil)
        #expect(one.matchDescription == "SHA256 of the compressed file matches ONE.SUMS")
    }

    @Test func aDedicatedFileForOtherImagesIsAnError() throws {
        let dir = try directory(["img.iso.sha256": "\(a64)  a.iso\n\(b64)  b.iso\n"])
        #expect(throws: EdgeError.self) { try ChecksumDiscovery.find(forImage: dir.appendingPathComponent("img.iso")) }
    }
}

@Suite struct FileHasherTests {
    @Test(arguments: [HashAlgorithm.sha256, .sha512])
    func matchesCoreutilsOnAFileLargerThanOneChunk(algorithm: HashAlgorithm) throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-hash")
        let file = dir.appendingPathComponent("data.bin")
        try Shell.bash("head -c \(FileHasher.chunkSize * 2 + 12345) /dev/urandom > '\(file.path)'")
        let tool = algorithm == .sha256 ? "sha256sum" : "sha512sum"
        let expected = try Shell.bash("\(tool) '\(file.path)' | cut -d' ' -f1").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try FileHasher.hash(file: file, algorithm: algorithm) == expected)
        let result = try FileHasher.verify(file: file, against: ExpectedChecksum(algorithm: algorithm, hex: expected.uppercased(), source: "t"))
        #expect(result.matches)
    }

    @Test func hashesALeadingPart() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-hash")
        let file = dir.appendingPathComponent("data.bin")
        try Shell.bash("head -c 100000 /dev/urandom > '\(file.path)'")
        let expected = try Shell.bash("head -c 4097 '\(file.path)' | sha256sum | cut -d' ' -f1").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try FileHasher.hash(file: file, algorithm: .sha256, length: 4097) == expected)
    }
}

@Suite struct ChunkPipelineTests {
    private func file(_ count: Int) throws -> URL {
        let url = try TemporaryDirectory.make(prefix: "edgeflash-chunks").appendingPathComponent("data")
        try Shell.bash("head -c \(count) /dev/urandom > '\(url.path)'")
        return url
    }

    @Test(arguments: [0, 1, 4095, 4096, 4097, 100_001])
    func chunksArriveInOrderAndWhole(count: Int) throws {
        let url = try file(count)
        var joined: [UInt8] = []
        try OpenFile.open(url.path).closeAfter { try $0.forEachChunk(chunkSize: 4096) { joined += $0 } }
        #expect(joined == Array(try Data(contentsOf: url)))
    }

    @Test func aSubrangeIsReadExactly() throws {
        let url = try file(50_000)
        var joined: [UInt8] = []
        try OpenFile.open(url.path).closeAfter { try $0.forEachChunk(in: 1000..<30_000, chunkSize: 4096) { joined += $0 } }
        #expect(joined == Array(Array(try Data(contentsOf: url))[1000..<30_000]))
    }

    @Test func aThrowingConsumerStopsTheReaderWithoutHanging() throws {
        struct Stop: Error {}
        let url = try file(1 << 20)
        var seen = 0
        #expect(throws: Stop.self) {
            try OpenFile.open(url.path).closeAfter { file in
                try file.forEachChunk(chunkSize: 4096) { _ in
                    seen += 1
                    if seen == 3 { throw Stop() }
                }
            }
        }
        #expect(seen == 3)
    }
}
