import Foundation

/// One JSON object per line on stdout, for scripts (`--json`). Keys sorted so output is stable.
enum JSONLines {
    static func emit<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), let line = String(data: data, encoding: .utf8) else { return }
        Swift.print(line)  // not the commands' print: the encoder has escaped every control character
        // Flushed at once: a script reads progress events as they happen, not when a pipe's
        // buffer fills or the write ends. fflush(nil) flushes stdout without touching the global.
        fflush(nil)
    }
}
