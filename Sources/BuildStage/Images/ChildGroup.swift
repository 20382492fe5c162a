import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The engine processes running for one `build images`, so Ctrl-C can stop every one of them and
/// no new one starts after it.
public final class ChildGroup: @unchecked Sendable {
    private let lock = NSLock()
    private var running: Set<Int32> = []
    private var stopped = false

    public init() {}

    public var isStopped: Bool { lock.withLock { stopped } }

    /// Sends SIGTERM to every running child; children started later are stopped at once.
    public func stopAll() {
        let pids = lock.withLock { stopped = true; return running }
        for pid in pids { kill(pid, SIGTERM) }
    }

    func started(_ pid: Int32) {
        let stop = lock.withLock { running.insert(pid); return stopped }
        if stop { kill(pid, SIGTERM) }
    }

    func ended(_ pid: Int32) {
        _ = lock.withLock { running.remove(pid) }
    }
}
