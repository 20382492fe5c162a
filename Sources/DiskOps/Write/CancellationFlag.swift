import Synchronization

/// Set once (by SIGINT/SIGTERM, or by a thread that failed) and polled between segments by every
/// thread of a pipeline, so all of them stop at a segment boundary.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isCancelled: Bool { flag.load(ordering: .acquiring) }

    public func cancel() { flag.store(true, ordering: .releasing) }
}
