import Decompression
import EdgeCore
import FileIO
import Foundation
import Testing
import TestSupport

/// A real ISO compressed by gzip, xz and zstd, shared by the tests of this file.
private let fixture: (images: CompressedImages, directory: URL) = {
    let directory = try! TemporaryDirectory.make(prefix: "edgeflash-decompress")
    return (try! CompressedImages.make(from: "/usr/lib/grub-rescue/grub-rescue-cdrom.iso", in: directory), directory)
}()

private func decodeAll(_ path: String, observe: ((UnsafeRawBufferPointer) -> Void)? = nil) throws -> (Data, CompressionFormat) {
    let file = try OpenFile.open(path)
    defer { file.close() }
    let format = try #require(CompressionFormat.detect(try file.read(offset: 0, count: 6)))
    let stream = try DecodedStream(file: file, format: format, observeInput: observe)
    var out = Data()
    var buffer = [UInt8](repeating: 0, count: 3 << 20)
    while true {
        let got = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
        out.append(contentsOf: buffer[..<got])
        if got < buffer.count { break }
    }
    return (out, format)
}

private func decodeError(_ path: String) -> EdgeError? {
    do {
        _ = try decodeAll(path)
        return nil
    } catch {
        return error as? EdgeError
    }
}

@Suite struct DecodedStreamTests {
    @Test func everyFormatDecodesToTheOriginalBytes() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: fixture.images.original))
        let expected: [String: CompressionFormat] = [fixture.images.gzip: .gzip, fixture.images.xz: .xz,
                                                     fixture.images.zstd: .zstd, fixture.images.zstdStream: .zstd]
        for path in fixture.images.all {
            let (decoded, format) = try decodeAll(path)
            #expect(format == expected[path], "\(path)")
            #expect(decoded == original, "\(path) decodes to \(decoded.count) bytes")
        }
    }

    @Test func theStatedSizeComesFromTheXzIndexAndTheZstdFrameHeader() throws {
        let size = Int64(try Data(contentsOf: URL(fileURLWithPath: fixture.images.original)).count)
        func stated(_ path: String, _ format: CompressionFormat) throws -> Int64? {
            try OpenFile.open(path).closeAfter { DecodedSize.of($0, format: format) }
        }
        #expect(try stated(fixture.images.xz, .xz) == size)
        #expect(try stated(fixture.images.zstd, .zstd) == size)
        #expect(try stated(fixture.images.zstdStream, .zstd) == nil)
        #expect(try stated(fixture.images.gzip, .gzip) == nil)
        let index = try OpenFile.open(fixture.images.xz).closeAfter { DecodedSize.xzIndex($0) }
        #expect((index?.blocks ?? 0) > 1, "xz --block-size made a multi-block stream")
    }

    /// Was: a frame header stating 2^64-16 bytes trapped converting it to Int64 (write's preflight
    /// and inspect both read it).
    @Test func aZstdHeaderStatingAnImpossibleSizeStatesNone() throws {
        let directory = try TemporaryDirectory.make(prefix: "zstd-size")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("huge.zst").path
        // Magic, a single-segment descriptor with an 8-byte content size, that size, one empty raw last block.
        let frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0] + withUnsafeBytes(of: UInt64(0xFFFF_FFFF_FFFF_FFF0).littleEndian, Array.init) + [0x01, 0x00, 0x00]
        try Data(frame + frame).write(to: URL(fileURLWithPath: path))
        #expect(try OpenFile.open(path).closeAfter { DecodedSize.of($0, format: .zstd) } == nil)
        let half: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0] + withUnsafeBytes(of: UInt64(1 << 62 + 1).littleEndian, Array.init) + [0x01, 0x00, 0x00]
        try Data(half + half).write(to: URL(fileURLWithPath: path))  // each fits, their sum does not
        #expect(try OpenFile.open(path).closeAfter { DecodedSize.of($0, format: .zstd) } == nil)
    }

    @Test func theCompressedBytesAreShownWhileDecoding() throws {
        var seen = 0
        _ = try decodeAll(fixture.images.xz) { seen += $0.count }
        #expect(Int64(seen) == (try FileManager.default.attributesOfItem(atPath: fixture.images.xz)[.size] as! NSNumber).int64Value)
    }

    @Test func aTruncatedXzNamesTheOffsetWhereItEnds() throws {
        let cut = try CompressedImages.truncated(fixture.images.xz, to: 100_000,
                                                 as: fixture.directory.appendingPathComponent("cut.iso.xz").path)
        let error = try #require(decodeError(cut))
        #expect(error.code == .malformed)
        #expect(error.message.contains("truncated"))
        #expect(error.message.contains("byte offset 100000 of the compressed file"), "\(error.message)")
    }

    /// Was: "at byte offset N", N where the input handed to libzstd ended (it takes input ahead
    /// into its own buffer and does not say where it failed): a buffer boundary, neither the
    /// damage nor the frame's end. Now the range it must lie in: from the frame's start to the
    /// end of the input libzstd was given.
    @Test func aCorruptZstdNamesTheRangeTheDamageLiesIn() throws {
        let bad = try CompressedImages.corrupted(fixture.images.zstd, at: 200_000,
                                                 as: fixture.directory.appendingPathComponent("bad.iso.zst").path)
        let error = try #require(decodeError(bad))
        #expect(error.code == .malformed)
        #expect(error.message.contains("corrupt"), "\(error.message)")
        let range = try #require(error.message.firstMatch(of: /between byte offsets (\d+) and (\d+) of the compressed file/), "\(error.message)")
        let (from, to) = (try #require(Int(range.1)), try #require(Int(range.2)))
        let length = try Data(contentsOf: URL(fileURLWithPath: fixture.images.zstd)).count
        #expect(from == 0, "one frame: it starts the file")
        #expect(200_000 < to && to <= length, "\(to) of \(length)")
    }

    @Test func concatenatedGzipMembersDecodeInTurn() throws {
        let twice = fixture.directory.appendingPathComponent("twice.gz").path
        try Shell.bash("cat '\(fixture.images.gzip)' '\(fixture.images.gzip)' > '\(twice)'")
        let original = try Data(contentsOf: URL(fileURLWithPath: fixture.images.original))
        #expect(try decodeAll(twice).0 == original + original)
    }

    @Test func theViewReadsAnyOffsetAndGoesBackByDecodingAgain() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: fixture.images.original))
        for path in fixture.images.all {
            let file = try OpenFile.open(path)
            defer { file.close() }
            let view = try DecodedView(file: file, format: try #require(CompressionFormat.detect(try file.read(offset: 0, count: 6))))
            for offset in [Int64(4_500_000), 32_768, 0, Int64(original.count) - 100] {
                let got = try view.read(offset: offset, count: 4096)
                let want = original[Int(offset)..<min(original.count, Int(offset) + 4096)]
                #expect(Data(got) == want, "\(path) at \(offset)")
            }
            #expect(try view.read(offset: Int64(original.count) + 10, count: 10).isEmpty)
        }
    }
    /// Was: pzstd's output (a skippable frame before every frame) was not taken for zstd and was
    /// written raw.
    @Test func aZstdFileThatStartsWithASkippableFrameIsDecoded() throws {
        let path = fixture.directory.appendingPathComponent("parallel.iso.zst").path
        try Shell.bash("pzstd -q -p 2 -c '\(fixture.images.original)' > '\(path)'")
        let head = try OpenFile.open(path).closeAfter { try $0.read(offset: 0, count: 6) }
        #expect(CompressionFormat.startsWithSkippableFrame(head), "pzstd starts with a skippable frame")
        let (decoded, format) = try decodeAll(path)
        #expect(format == .zstd)
        #expect(decoded == (try Data(contentsOf: URL(fileURLWithPath: fixture.images.original))))
    }

    /// Was: bytes after an xz stream were called a truncation or corruption past them, and after a
    /// zstd frame a corruption; now all three formats say where the garbage starts.
    @Test func garbageAfterAStreamIsNamedWhereItStarts() throws {
        for (source, garbage) in [(fixture.images.gzip, "not gzip"),
                                  (fixture.images.xz, "garbage\n"), (fixture.images.xz, "garbage-garbage-garbage-garbage"),
                                  (fixture.images.zstd, "garbage\n"), (fixture.images.zstd, "ab")] {
            let length = try Data(contentsOf: URL(fileURLWithPath: source)).count
            let junk = try CompressedImages.withTrailing(garbage, after: source,
                                                         as: fixture.directory.appendingPathComponent("junk-\(garbage.count)").path)
            let error = try #require(decodeError(junk), "\(source) + \(garbage.count) bytes")
            #expect(error.code == .malformed)
            #expect(error.message.contains("trailing garbage at byte offset \(length) of the compressed file"), "\(error.message)")
        }
    }

    /// Was: a gzip stream padded with zeros (to a block size, by `dd conv=sync` or a tape) was
    /// refused as trailing garbage; gzip decodes it ("trailing zero bytes ignored"), and so does
    /// edgeflash now. Non-zero bytes after the padding are still garbage, named where they are.
    @Test func zeroPaddingAfterAGzipStreamEndsIt() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: fixture.images.original))
        let length = try Data(contentsOf: URL(fileURLWithPath: fixture.images.gzip)).count
        let padded = fixture.directory.appendingPathComponent("padded.gz").path
        let dirty = fixture.directory.appendingPathComponent("padded-dirty.gz").path
        // Past 1 MiB of padding: the zeros span more than one read of the compressed file.
        try Shell.bash("""
            (cat '\(fixture.images.gzip)'; head -c 1500000 /dev/zero) > '\(padded)'
            (cat '\(fixture.images.gzip)'; head -c 1500000 /dev/zero; printf x) > '\(dirty)'
            """)
        #expect(try decodeAll(padded).0 == original)
        let error = try #require(decodeError(dirty))
        #expect(error.code == .malformed)
        #expect(error.message.contains("trailing garbage at byte offset \(length + 1_500_000) of the compressed file"), "\(error.message)")
    }

    /// Streams that follow one another, with stream padding, still decode in turn (as xz does).
    @Test func concatenatedXzStreamsWithPaddingDecodeInTurn() throws {
        let twice = fixture.directory.appendingPathComponent("twice.xz").path
        try Shell.bash("(cat '\(fixture.images.xz)'; head -c 8 /dev/zero; cat '\(fixture.images.xz)'; head -c 4 /dev/zero) > '\(twice)'")
        let original = try Data(contentsOf: URL(fileURLWithPath: fixture.images.original))
        #expect(try decodeAll(twice).0 == original + original)
    }

    /// Was: "corrupt ... the download is damaged" for valid files whose decoder needs more memory
    /// than edgeflash allows; now a refusal that says what they need and what to do.
    @Test func aStreamNeedingMoreMemoryThanAllowedIsSaidSo() throws {
        let xz = fixture.directory.appendingPathComponent("bigdict.xz").path
        let zstd = fixture.directory.appendingPathComponent("long28.zst").path
        try Shell.bash("""
            head -c 64K /dev/urandom | xz -T1 --lzma2=preset=0,dict=1536MiB > '\(xz)'
            head -c 64K /dev/urandom | zstd -q --long=28 > '\(zstd)'
            xz -t '\(xz)' && zstd -tq --long=28 '\(zstd)'
            """)
        for (path, says) in [(xz, "of memory to decode (its dictionary"), (zstd, "needs a 256 MiB window")] {
            let error = try #require(decodeError(path), "\(path)")
            #expect(error.code == .refused, "\(error.message)")
            #expect(error.message.contains(says), "\(error.message)")
            #expect(!error.message.contains("corrupt"), "\(error.message)")
            #expect(error.hint?.contains("Decompress it first") == true, "\(error.hint ?? "")")
        }
    }
    /// Was: the offset named for a corrupt multi-block xz was where the threaded decoder's input
    /// had got to, different from run to run. Now it is the damaged block's, from the index.
    @Test func aCorruptMultiBlockXzNamesTheDamagedBlockOnEveryRun() throws {
        let path = fixture.directory.appendingPathComponent("blocks.xz").path
        let listing = try Shell.bash("""
            head -c 6M /dev/urandom | xz -T2 --block-size=512KiB > '\(path)'
            xz --robot -lvv '\(path)' | awk '$1 == "block" && $4 == 8 { print $5 }'
            """)
        let blockStart = try #require(Int(listing.trimmingCharacters(in: .whitespacesAndNewlines)))
        let damaged = try CompressedImages.corrupted(path, at: blockStart + 200_000,
                                                     as: fixture.directory.appendingPathComponent("blocks-bad.xz").path)
        var messages: Set<String> = []
        for _ in 0..<4 { messages.insert(try #require(decodeError(damaged)).message) }
        #expect(messages.count == 1, "\(messages)")
        #expect(messages.first?.contains("in the xz block at byte offset \(blockStart) of the compressed file (block 8 of 12") == true,
                "\(messages)")
    }

    /// Was: a file of several xz streams (`cat a.xz b.xz`) stated no size, so `--user-data` refused
    /// it. Its streams are walked back from the end as `xz -l` does, padding between them too.
    @Test func concatenatedXzStreamsStateTheirSummedSize() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: fixture.images.original))
        let joined = fixture.directory.appendingPathComponent("joined.xz").path
        let padded = fixture.directory.appendingPathComponent("joined-padded.xz").path
        try Shell.bash("""
            head -c 1000000 '\(fixture.images.original)' | xz -T1 -c > '\(joined)'
            tail -c +1000001 '\(fixture.images.original)' | xz -T2 --block-size=256KiB -c >> '\(joined)'
            (cat '\(fixture.images.xz)'; head -c 8 /dev/zero; cat '\(fixture.images.xz)'; head -c 4 /dev/zero) > '\(padded)'
            """)
        let halves = try OpenFile.open(joined).closeAfter { DecodedSize.xzIndex($0) }
        #expect(halves?.decodedBytes == Int64(original.count))
        #expect(try decodeAll(joined).0 == original)
        #expect(try OpenFile.open(padded).closeAfter { DecodedSize.of($0, format: .xz) } == 2 * Int64(original.count))
        #expect(try OpenFile.open(padded).closeAfter { DecodedSize.damage(of: $0, format: .xz) } == nil)
        // Anything the walk cannot account for states nothing: zeros before the first stream.
        let led = fixture.directory.appendingPathComponent("led.xz").path
        try Shell.bash("(head -c 4 /dev/zero; cat '\(fixture.images.xz)') > '\(led)'")
        #expect(try OpenFile.open(led).closeAfter { DecodedSize.of($0, format: .xz) } == nil)
    }

    /// The damaged block of a later stream is found through the joined index: numbered across the
    /// file, at its offset in the file.
    @Test func aCorruptBlockInASecondXzStreamIsNamed() throws {
        let path = fixture.directory.appendingPathComponent("second-bad.xz").path
        try Shell.bash("(cat '\(fixture.images.xz)' '\(fixture.images.xz)') > '\(path)'")
        let first = try Data(contentsOf: URL(fileURLWithPath: fixture.images.xz)).count
        let blocks = try #require(try OpenFile.open(fixture.images.xz).closeAfter { DecodedSize.xzIndex($0) }).blocks
        let damaged = try CompressedImages.corrupted(path, at: first + 100_000,
                                                     as: fixture.directory.appendingPathComponent("second-bad2.xz").path)
        let error = try #require(decodeError(damaged))
        let block = try #require(error.message.firstMatch(of: /in the xz block at byte offset (\d+) of the compressed file \(block (\d+) of (\d+)/), "\(error.message)")
        #expect(Int(block.3) == 2 * blocks)
        #expect(try #require(Int(block.2)) > blocks, "a block of the second stream")
        #expect(try #require(Int(block.1)) > first && Int(block.1)! <= first + 100_000)
    }

    /// Was: a truncated xz or zstd file stated no size, and a write with `--user-data` refused it as
    /// a format that does not state one (exit 3). What is missing is now said, in the decoder's words.
    @Test func aTruncatedFileSaysSoWhereItsSizeWouldBe() throws {
        for (path, format, cut) in [(fixture.images.xz, CompressionFormat.xz, 100_000), (fixture.images.zstd, .zstd, 100_000),
                                    (fixture.images.zstdStream, .zstd, 100_000)] {
            let short = try CompressedImages.truncated(path, to: cut, as: path + ".cut")
            let damage = try #require(try OpenFile.open(short).closeAfter { DecodedSize.damage(of: $0, format: format) }, "\(short)")
            #expect(damage.code == .malformed)
            #expect(damage.message.contains("is truncated: the \(format.toolName) data ends at byte offset \(cut) of the compressed file"), "\(damage.message)")
            #expect(try OpenFile.open(path).closeAfter { DecodedSize.damage(of: $0, format: format) } == nil, "\(path) is whole")
        }
        #expect(try OpenFile.open(fixture.images.gzip).closeAfter { DecodedSize.damage(of: $0, format: .gzip) } == nil)
    }

    /// Was: an xz file with a byte appended (`echo >> f.xz`) was called truncated ("fetch it
    /// again"), where the decoder calls it trailing garbage; a stream cut inside the next one of a
    /// concatenation is still truncated.
    @Test func bytesAppendedToAnXzFileAreGarbageNotATruncation() throws {
        let length = try Data(contentsOf: URL(fileURLWithPath: fixture.images.xz)).count
        let appended = try CompressedImages.withTrailing("\n", after: fixture.images.xz,
                                                        as: fixture.directory.appendingPathComponent("newline.xz").path)
        let damage = try #require(try OpenFile.open(appended).closeAfter { DecodedSize.damage(of: $0, format: .xz) })
        #expect(damage.message.contains("trailing garbage at byte offset \(length) of the compressed file"), "\(damage.message)")
        let twice = fixture.directory.appendingPathComponent("twice-cut.xz").path
        try Shell.bash("(cat '\(fixture.images.xz)'; head -c 1000 '\(fixture.images.xz)') > '\(twice)'")
        let cut = try #require(try OpenFile.open(twice).closeAfter { DecodedSize.damage(of: $0, format: .xz) })
        #expect(cut.message.contains("is truncated"), "\(cut.message)")
    }

    /// Was: the streams' indexes were joined so that each join walked every stream after it: a file
    /// of 200,000 empty streams took hours. Now they are joined front to back, and a file of more
    /// streams than any image is made of states no size (it is still decoded as it comes).
    @Test func manyXzStreamsAreSizedOrLeftUnstated() throws {
        let empty = fixture.directory.appendingPathComponent("empty.xz").path
        try Shell.bash("xz -c < /dev/null > '\(empty)'")
        let one = try Data(contentsOf: URL(fileURLWithPath: empty))
        func stated(_ streams: Int) throws -> Int64? {
            let path = fixture.directory.appendingPathComponent("streams-\(streams).xz").path
            try Data((0..<streams).flatMap { _ in one }).write(to: URL(fileURLWithPath: path))
            return try OpenFile.open(path).closeAfter { DecodedSize.of($0, format: .xz) }
        }
        #expect(try stated(DecodedSize.mostXzStreams) == 0)
        #expect(try stated(DecodedSize.mostXzStreams + 1) == nil)
    }
}
