import FileIO
import Foundation

/// The read-back of a decoded image, run on a thread of its own while the image is written. A
/// decoder is the write's slowest stage (libzstd decodes ~0.7 GB/s here, a loop device writes ~1.8
/// GB/s), so the target idles between writes: the body is read back in that idle time, batch by
/// batch, instead of in a pass of its own after the last write. A batch (4 segments, 16 MiB) is
/// read once the batch after it was written and an fdatasync issued after that returned, so each
/// read trails the writes by at least one batch and reads what the medium holds. What this loses
/// against a second pass (a later write landing on a segment already read back, on a stick whose
/// addresses alias) the sample sweep after the last write catches (`ReadBackVerifier.verifySamples`).
///
/// The write's I/O threads call `markWritten` after each write; a mismatch found here stops the
/// write (`throwIfFailed`, called before each write). `finish` waits for the last batches.
final class TrailingReadBack: @unchecked Sendable {
    static let batchSegments = 4

    private let verifier: ReadBackVerifier
    private let body: Range<Int>
    private let condition = NSCondition()
    private var written: [Bool]
    /// Segments body.lowerBound..<writtenThrough were all written.
    private var writtenThrough: Int
    private var stopped = false
    private var failure: (any Error)?
    private let done = DispatchSemaphore(value: 0)
    private var running = false

    /// `verifier` reads with the buffers and threads it was given: two reads in flight (with one,
    /// reads beside the writes were slow enough here to leave half the body for after the last write).
    init(verifier: ReadBackVerifier, body: Range<Int>) {
        self.verifier = verifier
        self.body = body
        written = Array(repeating: false, count: body.upperBound)
        writtenThrough = body.lowerBound
    }

    /// Starts the read-back thread; the bytes it checks are added to `counter`.
    func start(counter: ProgressCounter) {
        running = true
        let thread = Thread { [self] in
            do {
                try readBack(counter: counter)
            } catch {
                condition.lock()
                if failure == nil && !stopped { failure = error }
                condition.unlock()
            }
            done.signal()
        }
        thread.name = "edgeflash-read-back"
        thread.start()
    }

    /// Segment `index` was written (its pwrite returned, its digest taken).
    func markWritten(_ index: Int) {
        condition.lock()
        written[index] = true
        while writtenThrough < body.upperBound && written[writtenThrough] { writtenThrough += 1 }
        condition.broadcast()
        condition.unlock()
    }

    /// Throws what the read-back found wrong so far: the write stops before its next segment.
    func throwIfFailed() throws {
        condition.lock()
        let found = failure
        condition.unlock()
        if let found { throw found }
    }

    /// Every segment was written: waits for the read-back of the last batches and throws what it found.
    func finish() throws {
        condition.lock()
        writtenThrough = body.upperBound
        condition.broadcast()
        condition.unlock()
        join()
        try throwIfFailed()
    }

    /// The write stopped (a failure, SIGINT): the read-back stops too; returns once its thread did.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        join()
    }

    private func join() {
        guard running else { return }
        done.wait()
        running = false
    }

    private func readBack(counter: ProgressCounter) throws {
        var next = body.lowerBound
        while next < body.upperBound {
            let batch = next..<min(next + Self.batchSegments, body.upperBound)
            guard waitUntilWritten(through: min(body.upperBound, batch.upperBound + Self.batchSegments)) else { return }
            try verifier.device.synchronize()
            try verifier.verify(batch, counter: counter)
            next = batch.upperBound
        }
    }

    /// Waits until segments up to `end` were written; false when the write stopped first.
    private func waitUntilWritten(through end: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        // SIGINT only sets the cancellation flag, which wakes no one: look at it now and then.
        while writtenThrough < end && !stopped && !verifier.cancel.isCancelled {
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        return writtenThrough >= end
    }
}
