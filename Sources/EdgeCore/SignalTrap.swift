import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// While alive, SIGINT and SIGTERM no longer kill the process: each runs `handler` (on a global
/// queue) instead, so the work under way can stop cleanly. Traps nest: while several are alive,
/// a signal runs every one's handler. With none alive, the signal ends the process at once with
/// 128 + its number (130 for Ctrl-C), as the shell reports a process the signal killed. This is the
/// process's one way to catch them (the confirmation question's Ctrl-C too).
///
/// One signal source per signal serves every trap of the process, made with the first trap and
/// kept: dispatch installs its own handler for a signal once per process. A second
/// `signal(SIG_IGN)` for a signal that already has a source (a nested trap), or a source made
/// after an earlier one was cancelled (a later trap), left the signal ignored for good: Ctrl-C
/// did nothing in `build iso --from-image` and `build all`, and children started then inherited
/// the ignored signals.
///
/// The first trap returns only once dispatch's handler is in place (dispatch installs it on its
/// own thread, some time after the source resumes). Until then the signals keep their default
/// action, ending the process before the work the trap guards has begun. They were set ignored
/// meanwhile: a Ctrl-C in those milliseconds was lost and the write it meant to stop went on to
/// the end.
public final class SignalTrap {
    public init(_ handler: @escaping @Sendable () -> Void) {
        Self.registry.add(ObjectIdentifier(self), handler)
    }

    deinit {
        Self.registry.remove(ObjectIdentifier(self))
    }

    /// How many traps are alive (for tests).
    public static var activeCount: Int { registry.count }

    private static let registry = Registry()

    private final class Registry: @unchecked Sendable {
        private static let signals = [SIGINT, SIGTERM]
        private let lock = NSLock()
        private var handlers: [ObjectIdentifier: @Sendable () -> Void] = [:]
        private var sources: [any DispatchSourceSignal] = []

        var count: Int { lock.withLock { handlers.count } }

        func add(_ id: ObjectIdentifier, _ handler: @escaping @Sendable () -> Void) {
            lock.withLock {
                if sources.isEmpty { install() }
                handlers[id] = handler
            }
        }

        func remove(_ id: ObjectIdentifier) {
            lock.withLock { handlers[id] = nil }
        }

        /// Called with the lock held.
        private func install() {
            sources = Self.signals.map { number in
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [weak self] in self?.deliver(number) }
                source.resume()
                return source
            }
            // Bounded, so a dispatch that never installs its handler cannot hang the command.
            var waits = 0
            while !Self.signals.allSatisfy(Self.isCaught), waits < 20_000 {
                usleep(100)
                waits += 1
            }
        }

        /// Whether `number` runs a handler (dispatch's), rather than its default action or none.
        private static func isCaught(_ number: Int32) -> Bool {
            var current = sigaction()
            sigaction(number, nil, &current)
            guard let handler = current.__sigaction_handler.sa_handler else { return false }  // SIG_DFL
            return unsafeBitCast(handler, to: Int.self) != unsafeBitCast(SIG_IGN, to: Int.self)
        }

        private func deliver(_ number: Int32) {
            let current = lock.withLock { Array(handlers.values) }
            if current.isEmpty { _exit(128 + number) }
            for handler in current { handler() }
        }
    }
}
