import FileIO
import Foundation

/// The gate between the writes and the read-back of an overlapped write. The I/O threads report
/// each segment written (its pwrite returned); the reader thread, before handing out the read-back
/// of a segment, waits here until the segments `BodySchedule` asks for are written, then issues
/// the fdatasync that makes them durable and drops the target's cached pages. One sync covers a
/// whole batch, so the reader thread syncs once per batch.
final class DurableSegments: @unchecked Sendable {
    private let schedule: BodySchedule
    private let device: any WriteTarget
    private let cancel: CancellationFlag
    private let condition = NSCondition()
    private var written: [Bool]
    /// Segments 0..<writtenThrough were all written (segment 0, held back, counts as written).
    private var writtenThrough = 1
    /// Segments 0..<syncedThrough were all written before an fdatasync that returned.
    private var syncedThrough = 1
    private var stopped = false

    init(schedule: BodySchedule, device: any WriteTarget, cancel: CancellationFlag) {
        self.schedule = schedule
        self.device = device
        self.cancel = cancel
        written = Array(repeating: false, count: schedule.segmentCount)
        written[0] = true
    }

    func markWritten(_ index: Int) {
        condition.lock()
        defer { condition.unlock() }
        written[index] = true
        while writtenThrough < written.count && written[writtenThrough] { writtenThrough += 1 }
        condition.broadcast()
    }

    /// The write failed: a waiting read-back stops instead of waiting for segments that will not come.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once segment `index` may be read back: the segments it needs were written and an
    /// fdatasync issued after them returned (this call issues it when none has yet). Throws
    /// `Cancelled` when the write stopped (a failure, or SIGINT) before that.
    func waitUntilDurable(_ index: Int) throws {
        let needed = schedule.writtenNeeded(toReadBack: index)
        condition.lock()
        // The cancellation flag has no way to wake us: look at it now and then.
        while writtenThrough < needed && !stopped && !cancel.isCancelled {
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        let covered = writtenThrough, alreadySynced = syncedThrough >= needed
        let stop = stopped || cancel.isCancelled
        condition.unlock()
        if stop { throw BufferPipeline.Cancelled() }
        if alreadySynced { return }
        try device.synchronize()
        device.dropCaches()
        condition.lock()
        syncedThrough = max(syncedThrough, covered)
        condition.unlock()
    }
}
