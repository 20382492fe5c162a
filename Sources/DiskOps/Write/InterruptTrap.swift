import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// While alive, SIGINT and SIGTERM no longer kill the process: they set `cancel`, and the pipeline
/// stops at the next segment boundary, flushes and reports the device as incomplete.
public final class InterruptTrap {
    private static let signals = [SIGINT, SIGTERM]
    private let sources: [DispatchSourceSignal]

    public init(cancel: CancellationFlag) {
        sources = Self.signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { cancel.cancel() }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}
