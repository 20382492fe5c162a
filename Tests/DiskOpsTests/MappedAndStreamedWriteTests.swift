import EdgeCore
import FileIO
import ISOVerify
import Testing
@testable import DiskOps

/// A stream of unknown length (as a gzip image) and an image with a map (a bmap, a sparse file's
/// extents) through the write engine, in memory: what reaches the target, and in what order.
@Suite struct MappedAndStreamedWriteTests {
    static let mib: Int64 = 1 << 20

    /// The same image as a stream that does not state its length.
    struct UnstatedStream: ImageSource {
        let image: MemoryImage
        var path: String { image.path }
        var size: Int64 { 0 }
        var sizeIsStated: Bool { false }
        func readNext(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try image.readNext(into: buffer) }
    }

    @Test func aStreamIsWrittenToItsEndAndReadBackThatFar() throws {
        let bytes = WriteEngineTests.image(5 << 20 + 1000)
        let target = RecordingTarget(size: 16 * Self.mib, filledWith: 0xEE)
        let outcome = try WriteEngineTests.writer(UnstatedStream(image: MemoryImage(bytes)), target).run(verify: true)
        #expect(outcome.bytesWritten == Int64(bytes.count))
        #expect(Array(target.bytes.prefix(bytes.count)) == bytes)
        let reads = WriteEngineTests.bodyReads(target.events)
        #expect(reads.allSatisfy { $0.upperBound <= Int64(bytes.count + 511) / 512 * 512 }, "nothing past the stream's end is read back: \(reads)")
        #expect(target.bytes.suffix(Int(Self.mib)).allSatisfy { $0 == 0 }, "the disk's last MiB was cleared")
    }

    @Test func aStreamLongerThanTheTargetIsRefusedAndTheFirstMiBBlanked() throws {
        let bytes = WriteEngineTests.image(9 << 20)
        let target = RecordingTarget(size: 8 * Self.mib, filledWith: 0xEE)
        let (failure, cause) = WriteEngineTests.failedWrite(EdgeError.self) {
            try WriteEngineTests.writer(UnstatedStream(image: MemoryImage(bytes)), target).run(verify: true)
        }
        #expect(cause?.message.contains("the image is larger than the stick: \(8 << 20) bytes written") == true, "\(String(describing: cause))")
        #expect(failure?.firstMiB == .blank)
        #expect(target.bytes.prefix(Int(Self.mib)).allSatisfy { $0 == 0 })
    }

    @Test func onlyMappedRangesAreWrittenAndReadBackAndHolesZeroedWhenAsked() throws {
        var bytes = WriteEngineTests.image(12 << 20)
        let mapped: [Range<Int64>] = [0..<(Self.mib + 4096), (5 * Self.mib)..<(7 * Self.mib + 8192)]
        for hole in [(Self.mib + 4096)..<(5 * Self.mib), (7 * Self.mib + 8192)..<(12 * Self.mib)] {
            for i in hole { bytes[Int(i)] = 0 }
        }
        for zeroHoles in [false, true] {
            let target = RecordingTarget(size: 16 * Self.mib, filledWith: 0xEE)
            let map = ImageMap(ranges: mapped, zeroHoles: zeroHoles, source: "test map")
            let writer = try ImageWriter(image: MemoryImage(bytes), device: target, expected: nil, map: map,
                                         chunkSize: WriteEngineTests.chunk, probe: false, cancel: CancellationFlag(), progress: { _ in })
            let outcome = try writer.run(verify: true)
            #expect(outcome.readBackVerified)
            let dataWrites = WriteEngineTests.writes(target.events).filter { !$0.zeros }.map(\.range)
            #expect(dataWrites.allSatisfy { range in mapped.contains { $0.lowerBound <= range.lowerBound && range.upperBound <= $0.upperBound } },
                    "data is written inside the map only: \(dataWrites)")
            let reads = WriteEngineTests.bodyReads(target.events)
            #expect(reads.allSatisfy { range in mapped.contains { $0.lowerBound <= range.lowerBound && range.upperBound <= $0.upperBound } },
                    "only mapped ranges are read back: \(reads)")
            let hole = target.bytes[Int(2 * Self.mib)..<Int(3 * Self.mib)]
            #expect(zeroHoles ? hole.allSatisfy { $0 == 0 } : hole.allSatisfy { $0 == 0xEE }, "zeroHoles \(zeroHoles)")
            #expect(Array(target.bytes[Int(5 * Self.mib)..<Int(7 * Self.mib)]) == Array(bytes[Int(5 * Self.mib)..<Int(7 * Self.mib)]))
        }
    }

    @Test func theMapSplitsASpanIntoMappedPartsAndHoles() {
        let map = ImageMap(ranges: [0..<4096, 8192..<12288, 20480..<24576], zeroHoles: true, source: "test")
        #expect(map.mapped(in: 2048..<21000) == [2048..<4096, 8192..<12288, 20480..<21000])
        #expect(map.holes(in: 2048..<21000) == [4096..<8192, 12288..<20480])
        #expect(map.mapped(in: 12288..<20480).isEmpty)
        #expect(map.mappedBytes == 12288)
    }

    @Test func aStreamedPlanEndsWhereTheStreamDid() {
        let plan = WritePlan(streamOnto: 64 * Self.mib, sectorSize: 512, chunkSize: 4 << 20)
        #expect(plan.streamed && plan.imageSize == 64 * Self.mib)
        #expect(plan.clearRanges == [0..<Self.mib, (63 * Self.mib)..<(64 * Self.mib)])
        let ended = plan.ending(at: 5 * Self.mib + 100)
        #expect(!ended.streamed && ended.segmentCount == 3)
        #expect(ended.segment(2) == plan.segment(2).lowerBound..<(5 * Self.mib + 100))
    }
}
