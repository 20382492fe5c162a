import EdgeCore
import FileIO
import Foundation
import Testing
import TestSupport
@testable import DiskOps

/// A decoded image (a real zstd file through `CompressedImage`) is read back while it is written
/// (`TrailingReadBack`), then sampled once more after the last write: what the overlap reads, and
/// what it still catches, on the in-memory target of the fault harness.
@Suite struct TrailingReadBackTests {
    typealias Engine = WriteEngineTests
    static let mib = Engine.mib
    /// 20 segments of 2 MiB: more than two batches of read-back.
    static let bytes = Engine.image(40 << 20)
    static let lastSegment = 38 * mib..<(40 * mib)

    /// The image compressed with zstd (its size in the frame header), opened as the write opens it.
    static func decoded(in directory: URL) throws -> CompressedImage {
        let path = directory.appendingPathComponent("image.img").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try Shell.bash("zstd -q -1 --rm '\(path)'")
        return try CompressedImage(file: try ImageFile(path: path + ".zst"), format: .zstd, expected: nil)
    }

    static func withDecoded<T>(_ body: (CompressedImage) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trailing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = try decoded(in: directory)
        defer { image.file.close() }
        return try body(image)
    }

    /// Holds the write of the image's last segment until segment `index` was read back, so that
    /// read is known to come before that write (the order an overlap allows, made certain).
    static func holdingTheLastWrite(untilReadBackOf range: Range<Int64>, _ events: @escaping @Sendable () -> [RecordingTarget.Event]) -> @Sendable (Range<Int64>) -> Void {
        { written in
            guard written.lowerBound == lastSegment.lowerBound else { return }
            let deadline = Date(timeIntervalSinceNow: 30)
            while !events().contains(.read(range)) && Date() < deadline { usleep(1000) }
        }
    }

    @Test func aDecodedImageIsReadBackWhileItIsWrittenThenSampled() throws {
        try Self.withDecoded { image in
            let segment1 = Self.mib..<(2 * Self.mib)
            let box = TargetBox()
            let target = RecordingTarget(size: 64 * Self.mib, filledWith: 0xEE,
                                         onWrite: Self.holdingTheLastWrite(untilReadBackOf: segment1) { box.target?.events ?? [] })
            box.target = target
            let outcome = try Engine.writer(image, target).run(verify: true)
            #expect(outcome.readBackVerified)
            #expect(target.holds(Self.bytes))
            let events = target.events
            let lastWrite = try #require(events.lastIndex(of: .write(Self.lastSegment, zeros: false)))
            let firstRead = try #require(events.firstIndex(of: .read(segment1)))
            #expect(firstRead < lastWrite, "segment 1 was read back before the body's last write")
            let segmentReads = Engine.bodyReads(events).filter { $0.count > SegmentDigests.sampleSize }
            #expect(segmentReads.count == 20, "each body segment read back once, no second pass: \(segmentReads.count)")
            let samples = events[lastWrite...].compactMap { if case .read(let range) = $0, range.count == SegmentDigests.sampleSize { range } else { nil } }
            #expect(samples.count == 39, "4 KiB of every MiB of the body, after its last write")
        }
    }

    /// The stick maps its last 2 MiB onto 4-6 MiB (a counterfeit controller aliasing two ranges).
    /// Segment 3 (4-6 MiB) is read back, and passes, before the last segment's write lands on it;
    /// the last segment reads back through the same alias and passes too. Only the sweep after the
    /// last write sees segment 3 changed: refused, the first MiB left blank.
    @Test func aLateWriteAliasedOntoAnEarlySegmentIsCaughtByTheSweep() throws {
        try Self.withDecoded { image in
            let segment3 = 4 * Self.mib..<(6 * Self.mib)
            let box = TargetBox()
            let target = RecordingTarget(size: 64 * Self.mib, faults: .init(alias: (Self.lastSegment, onto: segment3.lowerBound)),
                                         onWrite: Self.holdingTheLastWrite(untilReadBackOf: segment3) { box.target?.events ?? [] })
            box.target = target
            let (failure, error) = Engine.failedWrite(ReadBackMismatchError.self) {
                try Engine.writer(image, target).run(verify: true)
            }
            let offset = try #require(error?.offset)
            #expect(segment3.contains(offset), "named in the aliased segment: \(offset)")
            #expect(offset % SegmentDigests.sampleSize == 0, "a sample window's start (a decoded image cannot be read again)")
            #expect(failure?.firstMiB == .blank)
            #expect(target.isBlank(0..<Self.mib))
        }
    }

    @Test func aSegmentTheTargetLostIsCaughtWhileWriting() throws {
        try Self.withDecoded { image in
            let lost = 9 * Self.mib + 100
            let target = RecordingTarget(size: 64 * Self.mib, filledWith: 0xEE, faults: .init(lostBytes: lost..<(lost + 4096)))
            let (failure, error) = Engine.failedWrite(ReadBackMismatchError.self) {
                try Engine.writer(image, target).run(verify: true)
            }
            #expect(error?.offset == 8 * Self.mib, "the segment 8-10 MiB, named by its start")
            #expect(failure?.firstMiB == .blank)
            #expect(target.isBlank(0..<Self.mib))
        }
    }
}

/// The target, for the hook it was made with to look at (set once, before the write starts).
private final class TargetBox: @unchecked Sendable {
    var target: RecordingTarget?
}
