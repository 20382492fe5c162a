import Foundation
import Synchronization

/// Threads over a ring of aligned buffers: `produce` fills segment after segment (in order) on one
/// thread while `consumers` threads drain them with `consume`, so reading and hashing the source
/// overlap with writing, and several writes (or device reads) are in flight at once: a loop device
/// or a UAS stick takes two concurrent 4 MiB requests faster than one. Memory is bounded by `depth`
/// buffers whatever the number of segments.
enum BufferPipeline {
    /// Thrown when the cancellation flag stopped the pipeline before every segment was consumed.
    struct Cancelled: Error {}

    static func run(segments count: Int, bufferSize: Int, depth: Int, consumers: Int = 1, cancel: CancellationFlag,
                    produce: @escaping @Sendable (Int, AlignedBuffer) throws -> Void,
                    consume: @escaping @Sendable (Int, AlignedBuffer) throws -> Void) throws {
        let free = BufferQueue(), full = BufferQueue()
        for _ in 0..<max(1, min(depth, count)) {
            free.push(.init(index: -1, buffer: AlignedBuffer(capacity: bufferSize)))
        }
        let failures = FailureBox()
        let consumed = Atomic<Int>(0)
        let stopEverything: @Sendable () -> Void = { free.abort(); full.abort() }
        let group = DispatchGroup()

        startThread(named: "edgeflash-reader", in: group) {
            defer { full.close() }
            for index in 0..<count {
                if cancel.isCancelled { return }
                guard let slot = free.pop() else { return }
                do {
                    try produce(index, slot.buffer)
                } catch {
                    failures.store(error)
                    stopEverything()
                    return
                }
                full.push(.init(index: index, buffer: slot.buffer))
            }
        }
        for number in 0..<max(1, consumers) {
            startThread(named: "edgeflash-io-\(number)", in: group) {
                while let item = full.pop() {
                    if cancel.isCancelled { stopEverything(); return }
                    do {
                        try consume(item.index, item.buffer)
                    } catch {
                        failures.store(error)
                        stopEverything()  // items already taken by other consumers still finish
                        return
                    }
                    consumed.add(1, ordering: .relaxed)
                    free.push(item)
                }
            }
        }
        group.wait()

        if let error = failures.first { throw error }
        if consumed.load(ordering: .relaxed) < count || cancel.isCancelled { throw Cancelled() }
    }

    private static func startThread(named name: String, in group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        let thread = Thread {
            body()
            group.leave()
        }
        thread.name = name
        thread.start()
    }
}

/// An error that names a byte offset: when several threads fail, the lowest offset is the one to
/// report (the first bad byte of the device, not whichever thread noticed first).
protocol OffsetFailure: Error {
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
