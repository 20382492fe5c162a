import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// While alive, SIGINT and SIGTERM no longer kill the process: each runs `handler` (on a global
/// queue) instead, so the work under way can stop cleanly. Dropping it restores the default.
public final class SignalTrap {
    private static let signals = [SIGINT, SIGTERM]
    private let sources: [any DispatchSourceSignal]

    public init(_ handler: @escaping @Sendable () -> Void) {
        sources = Self.signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}
