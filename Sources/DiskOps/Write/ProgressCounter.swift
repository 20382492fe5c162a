import Synchronization

/// Bytes done in one phase, added to by several I/O threads. Each addition reports the new total to
/// `report` under the lock, so the (single-threaded) progress display sees calls one at a time.
final class ProgressCounter: @unchecked Sendable {
    private let lock = Mutex<Int64>(0)
    private let phase: WriteProgress.Phase
    private let total: Int64
    private let report: (WriteProgress) -> Void

    init(phase: WriteProgress.Phase, startingAt start: Int64 = 0, total: Int64, report: @escaping (WriteProgress) -> Void) {
        self.phase = phase
        self.total = total
        self.report = report
        lock.withLock { $0 = start }
    }

    var value: Int64 { lock.withLock { $0 } }

    func add(_ bytes: Int64) {
        lock.withLock { done in
            done += bytes
            report(WriteProgress(phase: phase, bytes: done, totalBytes: total))
        }
    }
}
