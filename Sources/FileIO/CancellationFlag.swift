import Synchronization

/// Set once, by the interrupt trap on SIGINT/SIGTERM (or by a test), and polled between segments by
/// every thread of a pipeline, so all of them stop at a segment boundary. A thread that fails does
/// not set it: it stops the others by aborting the pipeline's queues.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .acquiring) }

    public func cancel() { flag.store(true, ordering: .releasing) }
}
