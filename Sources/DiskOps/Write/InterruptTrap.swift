import EdgeCore

/// While alive, SIGINT and SIGTERM no longer kill the process: they set `cancel`, and the pipeline
/// stops at the next segment boundary, flushes and reports the device as incomplete.
public final class InterruptTrap {
    private let trap: SignalTrap     // held: the signals are trapped while this lives

    public init(cancel: CancellationFlag) {
        trap = SignalTrap { cancel.cancel() }
    }
}
