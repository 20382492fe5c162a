import EdgeCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// While alive, SIGINT and SIGTERM do not kill the process mid-staging, which would leave a
/// temporary ISO holding the user-data behind: they kill the tool that is running (xorriso) and
/// mark the staging interrupted, and the stager stops at its next step, removing what it made.
final class StagingInterrupt {
    /// What the signal handler and the stager share.
    private final class Shared: Sendable {
        struct State {
            var interrupted = false
            var running: Int32?
        }
        let state = Mutex(State())

        /// Kills the running tool now, or the next one as soon as it starts.
        func interrupt() {
            state.withLock { state in
                state.interrupted = true
                // SIGKILL: the tool inherits SIGINT and SIGTERM ignored.
                if let pid = state.running { kill(pid, SIGKILL) }
            }
        }
    }

    private let shared = Shared()
    private let trap: SignalTrap     // held: the signals are trapped while this lives

    init() {
        let shared = shared
        trap = SignalTrap { shared.interrupt() }
    }

    /// Runs a tool through `body`, which passes `started` to `ChildProcess.run`; an interrupt that
    /// came first, or comes while it runs, stops it.
    func run<T>(_ body: (_ started: (Int32) -> Void) throws -> T) throws -> T {
        defer { shared.state.withLock { $0.running = nil } }
        let result = try body { pid in
            shared.state.withLock { state in
                state.running = pid
                if state.interrupted { kill(pid, SIGKILL) }
            }
        }
        try check()
        return result
    }

    /// Throws when a signal came: nothing is written under the final names.
    func check() throws {
        if shared.state.withLock({ $0.interrupted }) {
            throw EdgeError(.interrupted, "interrupted: no ISO was written and the temporary files are removed")
        }
    }
}
