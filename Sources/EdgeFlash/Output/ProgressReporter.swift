import DiskOps
import EdgeCore
import Foundation

/// Shows a long operation's progress: one rewritten line on a TTY (stderr), JSON-lines events with
/// --json (stdout), nothing otherwise. Rates and ETAs are computed per phase from bytes the device
/// confirmed, so they reflect the device rather than the page cache.
final class ProgressReporter {
    enum Mode { case terminal, json, quiet }

    struct Event: Encodable {
        let type = "progress"
        let phase: WriteProgress.Phase
        let bytes: Int64
        let totalBytes: Int64
        let bytesPerSecond: Double?
        let etaSeconds: Double?
    }

    let mode: Mode
    private let clock = ContinuousClock()
    private var phase: WriteProgress.Phase?
    private var phaseStart: ContinuousClock.Instant
    private var phaseStartBytes: Int64 = 0
    private var lastShown: ContinuousClock.Instant
    private var lineShown = false

    init(json: Bool) {
        mode = json ? .json : (Terminal.stderrIsTTY ? .terminal : .quiet)
        phaseStart = clock.now
        lastShown = clock.now
    }

    func update(_ progress: WriteProgress) {
        let now = clock.now
        let newPhase = progress.phase != phase
        if newPhase {
            phase = progress.phase
            phaseStart = now
            phaseStartBytes = progress.phase == .verify ? 0 : progress.bytes
        }
        let interval: Duration = mode == .json ? .milliseconds(500) : .milliseconds(200)
        // A total of 0: a compressed stream whose length is known only once it ends.
        let finished = progress.totalBytes > 0 && progress.bytes >= progress.totalBytes
        guard newPhase || finished || now - lastShown >= interval else { return }
        lastShown = now

        let elapsed = Double((now - phaseStart).components.attoseconds) / 1e18 + Double((now - phaseStart).components.seconds)
        let moved = progress.bytes - phaseStartBytes
        let rate = elapsed > 0.05 && moved > 0 ? Double(moved) / elapsed : nil
        let eta = progress.totalBytes > 0 ? rate.map { Double(progress.totalBytes - progress.bytes) / $0 } : nil
        switch mode {
        case .quiet:
            return
        case .json:
            JSONLines.emit(Event(phase: progress.phase, bytes: progress.bytes, totalBytes: progress.totalBytes,
                                 bytesPerSecond: rate.map { $0.rounded() }, etaSeconds: eta.map { ($0 * 10).rounded() / 10 }))
        case .terminal:
            Terminal.writeStderr("\r\u{1B}[K" + Self.line(progress, rate: rate, eta: eta))
            lineShown = true
        }
    }

    /// Ends the progress line so the next message starts on its own line. `erasing` clears it
    /// instead, for a success whose summary repeats it (a stale "verify ... 100%" line is noise).
    func finish(erasing: Bool = false) {
        if lineShown { Terminal.writeStderr(erasing ? "\r\u{1B}[K" : "\n") }
        lineShown = false
    }

    static func line(_ progress: WriteProgress, rate: Double?, eta: Double?) -> String {
        let name = progress.phase.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
        var text = "\(name) \(ByteCount.human(progress.bytes))"
        if progress.totalBytes > 0 { text += " / \(ByteCount.human(progress.totalBytes))" }
        if progress.totalBytes > 0 {
            text += String(format: "  %3d%%", Int(progress.bytes * 100 / progress.totalBytes))
        }
        if let rate { text += "  " + rateText(rate) }
        if let eta, progress.bytes < progress.totalBytes { text += "  ETA " + durationText(eta) }
        return text
    }

    static func rateText(_ bytesPerSecond: Double) -> String {
        bytesPerSecond >= 1e9 ? String(format: "%.2f GB/s", bytesPerSecond / 1e9) : String(format: "%.0f MB/s", bytesPerSecond / 1e6)
    }

    static func durationText(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return String(format: "%d:%02d", whole / 60, whole % 60)
    }
}
