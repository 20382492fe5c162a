import Foundation

/// One JSON object per line on stdout, for scripts (`--json`). Keys sorted so output is stable.
enum JSONLines {
    static func emit<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value), let line = String(data: data, encoding: .utf8) else { return }
        print(line)
    }
}
