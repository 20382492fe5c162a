import FileIO
import Foundation
import ISOVerify
import Testing
@testable import DiskOps

/// One image read once and written to several targets (`FanOutSource`), each with its own writer:
/// every target gets the whole image, a failing target is detached without touching the others,
/// and the image is hashed once with memory bounded by the fan-out's window.
@Suite struct FanOutTests {
    typealias Engine = WriteEngineTests
    static let mib: Int64 = 1 << 20

    /// Runs one writer per target over one fan-out; the results in target order.
    static func writeAll(_ image: [UInt8], to targets: [RecordingTarget], expected: ExpectedChecksum?,
                         chunkSize: Int = Engine.chunk, window: Int = 2, lagLimit: Duration = .seconds(2),
                         finished: @escaping @Sendable (Int) -> Void = { _ in }) throws -> (results: [Result<WriteOutcome, any Error>], fanOut: FanOutSource) {
        let fanOut = FanOutSource(image: MemoryImage(image), taps: targets.count, expected: expected, chunkSize: chunkSize,
                                  window: window, lagLimit: lagLimit)
        let slots = Slots(count: targets.count)
        let group = DispatchGroup()
        fanOut.start()
        for (number, target) in targets.enumerated() {
            let tap = fanOut.tap(number)
            group.enter()
            DispatchQueue.global().async {
                slots.set(number, Result { try Engine.writer(tap, target, expected: expected).run(verify: true) })
                tap.detach()
                finished(number)
                group.leave()
            }
        }
        group.wait()
        fanOut.stop()
        return (slots.all, fanOut)
    }

    @Test func everyTargetGetsTheWholeImageAndTheChecksumIsComputedOnce() throws {
        let image = Engine.image(Int(9 * Self.mib) + 1234)
        let targets = (0..<3).map { _ in RecordingTarget(size: 16 * Self.mib) }
        let expected = Engine.sha256(image)
        let (results, fanOut) = try Self.writeAll(image, to: targets, expected: expected)
        for (result, target) in zip(results, targets) {
            let outcome = try result.get()
            #expect(outcome.checksum == .matched(expected))
            #expect(outcome.readBackVerified)
            #expect(target.holds(image))
        }
        #expect(fanOut.writtenImage?.sha256 == expected.hex)
        // Never more than the window's chunks at once, whatever the image's length.
        #expect(fanOut.buffers.peakBytes <= 2 * Engine.chunk)
        #expect(fanOut.buffers.liveBytes == 0)
    }

    @Test func aFailingTargetIsDetachedAndTheOthersFinish() throws {
        let image = Engine.image(Int(12 * Self.mib))
        let failing = RecordingTarget(size: 16 * Self.mib, faults: .init(failWriteAt: 5 * Self.mib))
        let targets = [RecordingTarget(size: 16 * Self.mib), failing, RecordingTarget(size: 16 * Self.mib)]
        let (results, fanOut) = try Self.writeAll(image, to: targets, expected: nil)
        #expect(throws: WriteFailure.self) { try results[1].get() }
        #expect(failing.isBlank(0..<Self.mib))   // left blank, never looking bootable
        for index in [0, 2] {
            #expect(try results[index].get().readBackVerified)
            #expect(targets[index].holds(image))
        }
        // Read to its end for the two that finished: the log still gets the image's SHA-256.
        #expect(fanOut.writtenImage?.sha256 == Engine.sha256(image).hex)
    }

    @Test func aStalledStickGoesOnAloneAndTheOthersFinishFirst() throws {
        // The second stick stalls on every write past its first MiB until the other two have
        // finished: in step with it they never could (the image is far larger than the window).
        let image = Engine.image(Int(20 * Self.mib))
        let othersDone = DispatchGroup()
        othersDone.enter()
        let stalled = RecordingTarget(size: 32 * Self.mib, onWrite: { range in
            if range.lowerBound >= Self.mib { _ = othersDone.wait(timeout: .now() + 60) }
        })
        let order = Slots(count: 3)
        let targets = [RecordingTarget(size: 32 * Self.mib), stalled, RecordingTarget(size: 32 * Self.mib)]
        let (results, fanOut) = try Self.writeAll(image, to: targets, expected: Engine.sha256(image), lagLimit: .milliseconds(200),
                                                  finished: { number in
            order.finish(number)
            if order.finished.count == 2 && !order.finished.contains(1) { othersDone.leave() }
        })
        #expect(order.finished.prefix(2).sorted() == [0, 2])
        // The stalled one at least (a loaded machine may briefly hold back a fast one too).
        #expect(fanOut.tapsAlone >= 1)
        for (result, target) in zip(results, targets) {
            #expect(try result.get().checksum == .matched(Engine.sha256(image)))
            #expect(target.holds(image))
        }
        #expect(fanOut.buffers.peakBytes <= 2 * Engine.chunk)
    }

    @Test func aChecksumMismatchFailsEveryTarget() throws {
        let image = Engine.image(Int(5 * Self.mib))
        let wrong = ExpectedChecksum(algorithm: .sha256, hex: String(repeating: "0", count: 64), source: "memory.img.sha256")
        let targets = (0..<2).map { _ in RecordingTarget(size: 8 * Self.mib) }
        let (results, _) = try Self.writeAll(image, to: targets, expected: wrong)
        for (result, target) in zip(results, targets) {
            #expect(throws: WriteFailure.self) { try result.get() }
            #expect(target.isBlank(0..<Self.mib))
        }
    }

    @Test func anImageShorterThanItsSizeFailsEveryTargetAsChanged() throws {
        let image = Engine.image(Int(6 * Self.mib))
        let shrunk = ShrunkImage(image: MemoryImage(image), claimed: 8 * Self.mib)
        let fanOut = FanOutSource(image: shrunk, taps: 1, expected: nil, chunkSize: Engine.chunk)
        fanOut.start()
        let tap = fanOut.tap(0)
        let target = RecordingTarget(size: 16 * Self.mib)
        #expect(throws: WriteFailure.self) { try Engine.writer(tap, target).run(verify: true) }
        tap.detach()
        fanOut.stop()
        #expect(fanOut.writtenImage?.sha256 == nil)
    }
}

/// An image whose size says more than it holds (a file truncated while it was written).
private struct ShrunkImage: ImageSource {
    let image: MemoryImage
    let claimed: Int64
    var path: String { image.path }
    var size: Int64 { claimed }
    func readNext(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try image.readNext(into: buffer) }
}

private final class Slots: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<WriteOutcome, any Error>?]
    private var order: [Int] = []
    /// The targets whose writes ended, in the order they ended.
    var finished: [Int] { lock.withLock { order } }
    func finish(_ number: Int) { lock.withLock { order.append(number) } }
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ result: Result<WriteOutcome, any Error>) { lock.withLock { results[index] = result } }
    var all: [Result<WriteOutcome, any Error>] { lock.withLock { results.map { $0! } } }
}
