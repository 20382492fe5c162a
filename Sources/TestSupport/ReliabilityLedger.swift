import Foundation

/// What the reliability tests tried and what came of it, one JSON line per case, appended to the
/// file named by `EDGEFLASH_RELIABILITY_LOG` (nothing is written when it is unset).
/// `scripts/reliability-report.sh` runs those tests with it set and turns the lines into the table
/// in docs/reliability.md, so every figure there comes from a test run.
public enum ReliabilityLedger {
    public enum Outcome: String, Sendable {
        /// A fault or hostile input was refused or reported with the documented status.
        case caught
        /// A fault was not reported as documented (wrong exit status or message).
        case missed
        /// The stick was left not bootable-looking after a failure (blank first MiB).
        case leftBlank
        /// Refused before anything was written: the stick holds exactly what it held.
        case leftUntouched
        /// A write that failed left something bootable-looking: a broken promise.
        case leftBootable
        /// A hostile input was handled (accepted or refused) without a crash or hang.
        case handled
        /// The process crashed (a signal), hung past its limit, or printed a planted secret.
        case crash, hang, leak
    }

    /// Records one case: `kind` is the table's row ("write fault", "hostile YAML"...).
    public static func record(_ kind: String, _ name: String, _ outcome: Outcome, count: Int = 1) {
        guard let path = ProcessInfo.processInfo.environment["EDGEFLASH_RELIABILITY_LOG"], !path.isEmpty else { return }
        let line = (try? JSONSerialization.data(withJSONObject: ["kind": kind, "case": name, "outcome": outcome.rawValue,
                                                                 "count": count], options: [.sortedKeys])) ?? Data()
        guard let handle = FileHandle(forWritingAtPath: path) ?? {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }() else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: line + Data("\n".utf8))
    }
}
