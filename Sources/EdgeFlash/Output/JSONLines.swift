import EdgeCore
import Foundation

/// One JSON object per line on stdout, for scripts (`--json`), written by `JSONLine`.
enum JSONLines {
    static func emit<T: Encodable>(_ value: T) {
        guard let line = try? JSONLine.encode(value) else { return }
        Swift.print(line)  // not the commands' print: `JSONLine` has escaped every control character
        // Flushed at once: a script reads progress events as they happen, not when a pipe's
        // buffer fills or the write ends. fflush(nil) flushes stdout without touching the global.
        fflush(nil)
    }
}
