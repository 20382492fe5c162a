import Synchronization

/// Counts the bytes of I/O buffers alive at once, and the most there ever were: one owner (a write)
/// hands it to every buffer it allocates, so its memory bound is a number a test can check.
public final class BufferAccount: Sendable {
    private let bytes = Mutex<(live: Int, peak: Int)>((0, 0))

    public init() {}

    public var liveBytes: Int { bytes.withLock { $0.live } }
    public var peakBytes: Int { bytes.withLock { $0.peak } }

    func add(_ count: Int) {
        bytes.withLock { state in
            state.live += count
            state.peak = max(state.peak, state.live)
        }
    }
}
