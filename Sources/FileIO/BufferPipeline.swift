import Foundation
import Synchronization

/// Threads over a ring of aligned buffers: `produce` fills segment after segment (in order) on a
/// reader thread while consumers drain them with `consume`, so reading the source overlaps with
/// writing, comparing or hashing what was read. An optional `inOrder` stage on a thread of its own
/// sees every segment in order between the two (a running hash), so a reader that decodes and a
/// hash that follows it use two cores instead of taking turns on one. Memory is bounded by `depth`
/// buffers whatever the number of segments. The one pipeline of edgeflash: the writer, the
/// read-back, the device comparison and every whole-file hash run on it.
public enum BufferPipeline {
    /// Thrown when the cancellation flag stopped the pipeline before every segment was consumed.
    public struct Cancelled: Error {
        public init() {}
    }

    /// `consumers` threads run `consume`: several writes (or device reads) in flight at once, as a
    /// loop device or a UAS stick takes two concurrent 4 MiB requests faster than one. `inOrder`,
    /// when given, runs on its own thread on each segment after `produce` and before `consume`, in
    /// segment order; a segment it throws on is never consumed.
    public static func run(segments count: Int, bufferSize: Int, depth: Int, consumers: Int = 1,
                           cancel: CancellationFlag, account: BufferAccount? = nil,
                           produce: @escaping @Sendable (Int, AlignedBuffer) throws -> Void,
                           inOrder: (@Sendable (Int, AlignedBuffer) throws -> Void)? = nil,
                           consume: @escaping @Sendable (Int, AlignedBuffer) throws -> Void) throws {
        let ring = Ring(count: count, bufferSize: bufferSize, depth: depth, cancel: cancel, account: account, staged: inOrder != nil)
        let group = DispatchGroup()
        if let inOrder, let produced = ring.produced {
            startThread(named: "edgeflash-reader", in: group) { ring.produceAll(produce, into: produced) }
            startThread(named: "edgeflash-in-order", in: group) { ring.pass(from: produced, through: inOrder) }
        } else {
            startThread(named: "edgeflash-reader", in: group) { ring.produceAll(produce, into: ring.full) }
        }
        for number in 0..<max(1, consumers) {
            startThread(named: "edgeflash-io-\(number)", in: group) { ring.consumeAll(consume) }
        }
        group.wait()
        try ring.finish()
    }

    /// The calling thread consumes, in segment order: `consume` may keep state (a running hash)
    /// without being Sendable.
    public static func forEach(segments count: Int, bufferSize: Int, depth: Int = 2,
                               cancel: CancellationFlag = CancellationFlag(), account: BufferAccount? = nil,
                               produce: @escaping @Sendable (Int, AlignedBuffer) throws -> Void,
                               consume: (Int, AlignedBuffer) throws -> Void) throws {
        let ring = Ring(count: count, bufferSize: bufferSize, depth: depth, cancel: cancel, account: account)
        let group = DispatchGroup()
        startThread(named: "edgeflash-reader", in: group) { ring.produceAll(produce, into: ring.full) }
        ring.consumeAll(consume)
        group.wait()
        try ring.finish()
    }

    private static func startThread(named name: String, in group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        // The Thread object outlives `group.wait()`: what `body` captured (buffers a BufferAccount
        // counts) is let go before the caller hears the thread is done, not when the object goes.
        let work = ThreadWork(body)
        let thread = Thread {
            work.runOnce()
            group.leave()
        }
        thread.name = name
        thread.start()
    }
}

/// A thread's body, dropped as soon as it returned.
private final class ThreadWork: @unchecked Sendable {
    private var body: (@Sendable () -> Void)?

    init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    /// Called by the one thread that owns this, once.
    func runOnce() {
        body?()
        body = nil
    }
}

/// The buffers of one run and what its threads share: a free queue, a full queue, the first error.
private final class Ring: Sendable {
    let free = BufferQueue(), full = BufferQueue()
    /// Between the reader and the in-order stage, when there is one.
    let produced: BufferQueue?
    let failures = FailureBox()
    let consumed = Atomic<Int>(0)
    let count: Int
    let cancel: CancellationFlag

    init(count: Int, bufferSize: Int, depth: Int, cancel: CancellationFlag, account: BufferAccount?, staged: Bool = false) {
        self.count = count
        self.cancel = cancel
        produced = staged ? BufferQueue() : nil
        for _ in 0..<max(1, min(depth, count)) {
            free.push(.init(index: -1, buffer: AlignedBuffer(capacity: bufferSize, account: account)))
        }
    }

    func produceAll(_ produce: (Int, AlignedBuffer) throws -> Void, into next: BufferQueue) {
        defer { next.close() }
        for index in 0..<count {
            if cancel.isCancelled { return }
            guard let slot = free.pop() else { return }
            do {
                try produce(index, slot.buffer)
            } catch {
                fail(error)
                return
            }
            next.push(.init(index: index, buffer: slot.buffer))
        }
    }

    /// The in-order stage: one thread, so the FIFO's order is the segments' order.
    func pass(from queue: BufferQueue, through stage: (Int, AlignedBuffer) throws -> Void) {
        defer { full.close() }
        while let item = queue.pop() {
            if cancel.isCancelled { stopEverything(); return }  // the reader may wait for a buffer held here
            do {
                try stage(item.index, item.buffer)
            } catch {
                fail(error)
                return
            }
            full.push(item)
        }
    }

    func consumeAll(_ consume: (Int, AlignedBuffer) throws -> Void) {
        while let item = full.pop() {
            if cancel.isCancelled { stopEverything(); return }
            do {
                try consume(item.index, item.buffer)
            } catch {
                fail(error)  // items already taken by other consumers still finish
                return
            }
            consumed.add(1, ordering: .relaxed)
            free.push(item)
        }
    }

    private func fail(_ error: any Error) {
        failures.store(error)
        stopEverything()
    }

    private func stopEverything() {
        free.abort()
        full.abort()
        produced?.abort()
    }

    /// After every thread returned: frees the buffers now (not when the threads' objects go), then
    /// throws the error to report, or `Cancelled` when not every segment was consumed.
    func finish() throws {
        stopEverything()
        if let error = failures.first { throw error }
        if consumed.load(ordering: .relaxed) < count || cancel.isCancelled { throw BufferPipeline.Cancelled() }
    }
}

/// An error that names a byte offset: when several threads fail, the lowest offset is the one to
/// report (the first bad byte of the device, not whichever thread noticed first).
public protocol OffsetFailure: Error {
    var failureOffset: Int64? { get }
}

/// Collects the errors of the pipeline's threads and keeps the one to report.
final class FailureBox: Sendable {
    private let stored = Mutex<(any Error)?>(nil)

    var first: (any Error)? { stored.withLock { $0 } }

    func store(_ error: any Error) {
        stored.withLock { current in
            guard let existing = current else { current = error; return }
            if let new = (error as? OffsetFailure)?.failureOffset,
               let old = (existing as? OffsetFailure)?.failureOffset, new < old {
                current = error
            }
        }
    }
}
