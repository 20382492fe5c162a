import EdgeCore
import FileIO
import ISOVerify
import Synchronization
import SystemPackage
import Testing
@testable import DiskOps

/// The write engine driven through an in-memory image and a target that records every call: the
/// orderings that keep a stick from looking bootable when it is not, checked without root or a
/// loop device. (WritePipelineTests proves the same engine on real loop devices.)
@Suite struct WriteEngineTests {
    static let mib: Int64 = 1 << 20
    /// Small chunks, so a few MiB of image make many segments.
    static let chunk = 2 << 20

    /// Bytes that are never zero, so a blank (or old) target differs from the image at every byte.
    static func image(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { raw in
            for word in stride(from: 0, to: count, by: 8) {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                for lane in 0..<min(8, count - word) {
                    raw[word + lane] = UInt8(truncatingIfNeeded: state >> (lane * 8)) | 1
                }
            }
        }
        return bytes
    }

    static func sha256(_ bytes: [UInt8]) -> ExpectedChecksum {
        var hash = StreamingHash(.sha256)
        hash.update(bytes)
        return ExpectedChecksum(algorithm: .sha256, hex: hash.finalizeHex(), source: "memory.img.sha256")
    }

    /// The capacity probe is off unless asked for: these tests check the write's own order and what
    /// its read-back catches (as with --no-probe); CapacityProbeTests checks the probe.
    static func writer(_ image: any ImageSource, _ target: RecordingTarget, expected: ExpectedChecksum? = nil,
                       ioThreads: Int = 2, probe: Bool = false, cancel: CancellationFlag = CancellationFlag()) throws -> ImageWriter {
        try ImageWriter(image: image, device: target, expected: expected, chunkSize: chunk, depth: 4,
                        ioThreads: ioThreads, probe: probe, cancel: cancel, progress: { _ in })
    }

    /// The calls a failed write ends with: the first MiB zeroed, flushed, and read back.
    static let blanking: [RecordingTarget.Event] = [.write(0..<mib, zeros: true), .sync, .dropCaches, .read(0..<mib)]

    /// Runs a write that must fail after touching the target; its `WriteFailure` and the cause.
    static func failedWrite<Cause: Error>(_ cause: Cause.Type, _ run: () throws -> WriteOutcome) -> (WriteFailure?, Cause?) {
        let failure = #expect(throws: WriteFailure.self) { _ = try run() }
        #expect(failure?.cause is Cause, "caused by \(String(describing: failure?.cause))")
        return (failure, failure?.cause as? Cause)
    }

    /// Reads of anything but the first MiB (the blanking check reads that one).
    static func bodyReads(_ events: [RecordingTarget.Event]) -> [Range<Int64>] {
        events.compactMap { if case .read(let range) = $0, range != 0..<mib { range } else { nil } }
    }

    static func writes(_ events: [RecordingTarget.Event]) -> [(index: Int, range: Range<Int64>, zeros: Bool)] {
        events.enumerated().compactMap { index, event in
            if case .write(let range, let zeros) = event { return (index, range, zeros) }
            return nil
        }
    }

    @Test func theFirstMiBIsTheLastWriteAfterTheChecksumMatchedAndTheBodyReadBack() throws {
        let bytes = Self.image(9 << 20 + 1536)
        let target = RecordingTarget(size: 16 * Self.mib, filledWith: 0xEE)
        let outcome = try Self.writer(MemoryImage(bytes), target, expected: Self.sha256(bytes)).run(verify: true)
        #expect(outcome.checksum == .matched(Self.sha256(bytes)))
        #expect(target.holds(bytes))

        let events = target.events
        let writes = Self.writes(events)
        let last = try #require(writes.last)
        #expect(last.range == 0..<Self.mib && !last.zeros, "the held-back MiB is the last write")
        #expect(writes.dropLast().allSatisfy { !$0.range.overlaps(0..<Self.mib) || $0.zeros },
                "nothing but zeros reaches the first MiB before it")
        // Before it: the body flushed, then read back whole, every byte after its last write.
        let before = events[..<last.index]
        let lastBodyWrite = try #require(writes.dropLast().last).index
        let bodyReads = before[lastBodyWrite...].compactMap { event -> Range<Int64>? in
            if case .read(let range) = event, range != 0..<Self.mib { return range }
            return nil
        }
        #expect(before[lastBodyWrite...].contains(.sync))
        let covered = bodyReads.map { $0.count }.reduce(0, +)
        #expect(covered >= Int(Int64(bytes.count) - Self.mib) && bodyReads.allSatisfy { $0.lowerBound >= Self.mib })
        #expect(before[lastBodyWrite...].contains(.read(0..<Self.mib)), "the cleared first MiB was read back before it is written")
        // After it: flushed and read back too.
        #expect(events[last.index...].contains(.sync))
        #expect(events[last.index...].contains(.read(0..<Self.mib)))
    }

    @Test func theFirstAndLastMiBOfTheTargetAreClearedBeforeTheBody() throws {
        let bytes = Self.image(5 << 20)
        let size = 32 * Self.mib
        let target = RecordingTarget(size: size, filledWith: 0xEE)  // an old stick: a table at each end
        _ = try Self.writer(MemoryImage(bytes), target).run(verify: true)

        let writes = Self.writes(target.events)
        let firstData = try #require(writes.firstIndex { !$0.zeros })
        let clearing = writes[..<firstData].map(\.range)
        #expect(clearing.contains { $0.contains(0) && $0.contains(Self.mib - 1) })
        #expect(clearing.contains { $0.contains(size - Self.mib) && $0.contains(size - 1) })
        #expect(target.isBlank((size - Self.mib)..<size), "the old backup GPT is gone")
    }

    @Test func aChecksumMismatchLeavesTheFirstMiBZero() throws {
        let bytes = Self.image(6 << 20)
        let target = RecordingTarget(size: 16 * Self.mib, filledWith: 0xEE)
        let wrong = ExpectedChecksum(algorithm: .sha256, hex: String(repeating: "0", count: 64), source: "memory.img.sha256")
        let (failure, error) = Self.failedWrite(ChecksumMismatchError.self) {
            try Self.writer(MemoryImage(bytes), target, expected: wrong).run(verify: true)
        }
        #expect(error?.actual == Self.sha256(bytes).hex)
        #expect(failure?.firstMiB == .blank)
        #expect(target.isBlank(0..<Self.mib))
        #expect(Self.bodyReads(target.events).isEmpty, "no read-back after a mismatch")
    }

    @Test(arguments: [1, 2])
    func cancellationMidBodyStopsAtOnceFlushedWithLBA0Blank(ioThreads: Int) throws {
        let bytes = Self.image(24 << 20)
        let cancel = CancellationFlag()
        let cancelAt = 8 * Self.mib
        let target = RecordingTarget(size: 32 * Self.mib, filledWith: 0xEE,
                                     onWrite: { if $0.lowerBound == cancelAt { cancel.cancel() } })
        let (failure, error) = Self.failedWrite(WriteInterruptedError.self) {
            try Self.writer(MemoryImage(bytes), target, ioThreads: ioThreads, cancel: cancel).run(verify: true)
        }
        #expect(failure?.exitStatus == .interrupted)
        let events = Array(target.events.dropLast(Self.blanking.count))
        #expect(Array(target.events.suffix(Self.blanking.count)) == Self.blanking, "ends by blanking the first MiB")
        let writes = Self.writes(events)
        let cancelling = try #require(writes.first { $0.range.lowerBound == cancelAt })
        // Only writes another I/O thread had already taken may begin after it.
        #expect(writes.filter { $0.index > cancelling.index }.count <= ioThreads - 1)
        #expect(events.last == .sync, "flushed after the last write")
        #expect(error?.bytesWritten ?? 0 <= cancelAt + Int64(ioThreads * Self.chunk))
        #expect(target.isBlank(0..<Self.mib))
    }

    @Test(arguments: [1, 2])
    func anIOErrorStopsAtOnceFlushedWithLBA0BlankAndNamesTheOffset(ioThreads: Int) throws {
        let bytes = Self.image(24 << 20)
        let bad: Int64 = 10 * Self.mib + 12_345
        let target = RecordingTarget(size: 32 * Self.mib, filledWith: 0xEE, faults: .init(failWriteAt: bad))
        let (failure, error) = Self.failedWrite(DeviceIOError.self) {
            try Self.writer(MemoryImage(bytes), target, ioThreads: ioThreads).run(verify: true)
        }
        #expect(error?.offset == bad)
        #expect(failure?.message.contains("at byte offset \(bad)") == true)
        #expect(failure?.firstMiB == .blank)
        let events = Array(target.events.dropLast(Self.blanking.count))
        let writes = Self.writes(events)
        let failing = try #require(writes.first { $0.range.contains(bad) })
        #expect(writes.filter { $0.index > failing.index }.count <= ioThreads - 1)
        #expect(events.last == .sync, "flushed after the failure")
        #expect(Self.bodyReads(target.events).isEmpty, "no read-back after a failed write")
        #expect(target.isBlank(0..<Self.mib))
    }

    @Test func aTargetThatLosesWritesIsCaughtByTheReadBack() throws {
        let bytes = Self.image(12 << 20)
        let lost = 6 * Self.mib + 100
        // An old stick (0xEE, never an image byte here) that keeps 4 KiB of it.
        let target = RecordingTarget(size: 16 * Self.mib, filledWith: 0xEE, faults: .init(lostBytes: lost..<(lost + 4096)))
        let (failure, error) = Self.failedWrite(ReadBackMismatchError.self) {
            try Self.writer(MemoryImage(bytes), target).run(verify: true)
        }
        #expect(error?.offset == lost)
        #expect(failure?.firstMiB == .blank)
        #expect(target.isBlank(0..<Self.mib), "not made bootable")
    }

    @Test func aForwardOnlySourceNamesTheSegmentThatDiffers() throws {
        let bytes = Self.image(12 << 20)
        let lost = 6 * Self.mib + 100
        let target = RecordingTarget(size: 16 * Self.mib, faults: .init(lostBytes: lost..<(lost + 4096)))
        let (_, error) = Self.failedWrite(ReadBackMismatchError.self) {
            try Self.writer(ForwardOnlyImage(image: MemoryImage(bytes)), target).run(verify: true)
        }
        #expect(error?.offset == 6 * Self.mib, "the segment 6-8 MiB holds the lost bytes")
    }

    @Test func aTargetThatWrapsAroundIsCaughtByTheReadBack() throws {
        let bytes = Self.image(20 << 20)
        let real = 8 * Self.mib
        // Claims 64 MiB, keeps 8: a counterfeit stick.
        let target = RecordingTarget(size: 64 * Self.mib, faults: .init(realSize: real))
        let (failure, error) = Self.failedWrite(ReadBackMismatchError.self) {
            try Self.writer(MemoryImage(bytes), target).run(verify: true)
        }
        #expect(failure?.firstMiB == .blank, "blanked again: the wrapped body had overwritten the cleared MiB")
        #expect(target.isBlank(0..<Self.mib))
        let stored = target.bytes
        let firstWrong = (Int(Self.mib)..<bytes.count).first { stored[$0 % Int(real)] != bytes[$0] }
        #expect(error?.offset == firstWrong.map(Int64.init))
    }

    /// A stick that wraps at a size the probe's markers do not reveal (119.5 MiB, not a power of
    /// two, no two markers on one block) under an image 120 MiB long: only the last half MiB of the
    /// body wraps, onto the cleared first MiB. The body's read-back reads it back through the same
    /// wrap and passes; the first MiB, read back before it is written, does not, and nothing of the
    /// image's first MiB (which would overwrite that half MiB of body) is written.
    @Test func aWrapThatLandsOnlyOnTheFirstMiBIsCaughtBeforeItIsWritten() throws {
        let real = 119 * Self.mib + Self.mib / 2
        let target = RecordingTarget(size: 256 * Self.mib, faults: .init(realSize: real))
        #expect(try CapacityProbe.run(target) == .keepsEverything, "the probe cannot see this wrap")
        let bytes = Self.image(120 << 20)
        let (failure, error) = Self.failedWrite(EdgeError.self) {
            try Self.writer(MemoryImage(bytes), target, probe: true).run(verify: true)
        }
        #expect(error?.exitStatus == .mismatch)
        #expect(error?.message.contains("byte offset 0") == true && error?.message.contains("wraps around") == true, "\(error?.message ?? "")")
        #expect(failure?.firstMiB == .blank)
        let imageFirstMiB = Self.writes(target.events).filter { $0.range == 0..<Self.mib && !$0.zeros }
        #expect(imageFirstMiB.isEmpty, "the image's first MiB was never written")
    }

    /// A failure in the last step (the held-back first MiB lost on the way) is blanked too; a
    /// target that also loses the blanking is reported as not blank, never as blank.
    @Test func aLostFirstMiBIsBlankedAndALostBlankingIsSaid() throws {
        let bytes = Self.image(12 << 20)
        let halfLost = RecordingTarget(size: 16 * Self.mib, faults: .init(lostBytes: (Self.mib / 2)..<Self.mib, lostAfterWrites: 2))
        let (blanked, _) = Self.failedWrite(ReadBackMismatchError.self) {
            try Self.writer(MemoryImage(bytes), halfLost).run(verify: true)
        }
        #expect(blanked?.firstMiB == .blank)
        #expect(halfLost.isBlank(0..<(Self.mib / 2)), "the half that was written is zeroed again")

        // It loses the zeros that cleared it too: caught before the image's first MiB is written.
        let sticky = RecordingTarget(size: 16 * Self.mib, filledWith: 0xEE, faults: .init(lostBytes: 0..<4096))
        let (failure, _) = Self.failedWrite(EdgeError.self) {
            try Self.writer(MemoryImage(bytes), sticky).run(verify: true)
        }
        guard case .notBlank = failure?.firstMiB else {
            Issue.record("a first MiB that keeps its old bytes was reported as \(String(describing: failure?.firstMiB))")
            return
        }
        #expect(failure?.hint?.contains("may still look bootable") == true)
    }

    @Test func theEngineHoldsOnlyItsRingWhateverTheImageSize() throws {
        var peaks: [Int] = []
        for size in [12 << 20, 96 << 20] {
            let bytes = Self.image(size)
            let target = RecordingTarget(size: Int64(size) + 4 * Self.mib)
            let writer = try Self.writer(MemoryImage(bytes), target, expected: Self.sha256(bytes))
            _ = try writer.run(verify: true)
            peaks.append(writer.buffers.peakBytes)
            #expect(writer.buffers.liveBytes == 0, "every buffer is freed when the write returns")
        }
        // The ring (depth 4 chunks), the zeros that clear and the held-back MiB: 10 MiB here.
        #expect(peaks[0] == peaks[1])
        #expect(peaks[1] <= 4 * Self.chunk + 2 * Int(Self.mib))
    }

    /// The hash a write checks runs on a thread after the reader's: it must still see every segment
    /// in order, and a segment it refuses (a bmap range that differs) must never reach a write.
    @Test func theInOrderStageSeesEachSegmentInOrderAndOneItRefusesIsNeverWritten() throws {
        struct Refused: Error {}
        let seen = Mutex<[Int]>([]), written = Mutex<[Int]>([])
        #expect(throws: Refused.self) {
            try BufferPipeline.run(segments: 64, bufferSize: 4096, depth: 3, consumers: 2, cancel: CancellationFlag(),
                produce: { index, buffer in buffer.count = index },
                inOrder: { index, buffer in
                    #expect(buffer.count == index)
                    seen.withLock { $0.append(index) }
                    if index == 40 { throw Refused() }
                },
                consume: { index, _ in written.withLock { $0.append(index) } })
        }
        #expect(seen.withLock { $0 } == Array(0...40))
        #expect(written.withLock { $0.allSatisfy { $0 < 40 } })
    }
}
