import DiskOps
import EdgeCore
import Foundation

/// Shows a long operation's progress: one rewritten line on a TTY (stderr), one per target when
/// several are written at once, JSON-lines events with --json (stdout), nothing otherwise. Rates and
/// ETAs are computed per target and phase from bytes the device confirmed, so they reflect the
/// device rather than the page cache. Not thread-safe: the caller serializes updates.
final class ProgressReporter {
    enum Mode { case terminal, json, quiet }

    struct Event: Encodable {
        let type = "progress"
        /// The device (absent for `verify`'s checksum) and its site, when it has one.
        let target: String?
        let site: String?
        let phase: WriteProgress.Phase
        let bytes: Int64
        let totalBytes: Int64
        let bytesPerSecond: Double?
        let etaSeconds: Double?
    }

    /// One target's phase, and when and from where it started.
    private struct Track {
        var phase: WriteProgress.Phase?
        var phaseStart: ContinuousClock.Instant
        var phaseStartBytes: Int64 = 0
        var lastShown: ContinuousClock.Instant
        var line = ""
    }

    let mode: Mode
    private let clock = ContinuousClock()
    /// The targets in the order their lines are drawn, and the site each is written for.
    private let targets: [String]
    private let sites: [String: String]
    private var tracks: [String: Track] = [:]
    private var lastDrawn: ContinuousClock.Instant
    private var linesShown = 0

    /// `targets` (with their `sites`) are drawn one line each on a terminal; with none, or one,
    /// progress is the single line it always was.
    init(json: Bool, targets: [String] = [], sites: [String?] = []) {
        mode = json ? .json : (Terminal.stderrIsTTY ? .terminal : .quiet)
        self.targets = targets
        self.sites = Dictionary(uniqueKeysWithValues: zip(targets, sites).compactMap { target, site in site.map { (target, $0) } })
        lastDrawn = clock.now
    }

    func update(_ progress: WriteProgress) { update(progress, target: nil) }

    /// `target`'s progress, when several are shown (`write` to several devices).
    func update(_ progress: WriteProgress, target: String?) {
        let now = clock.now
        let key = target ?? ""
        var track = tracks[key] ?? Track(phaseStart: now, lastShown: now)
        let newPhase = progress.phase != track.phase
        if newPhase {
            track.phase = progress.phase
            track.phaseStart = now
            track.phaseStartBytes = progress.phase == .verify ? 0 : progress.bytes
        }
        defer { tracks[key] = track }
        let interval: Duration = mode == .json ? .milliseconds(500) : .milliseconds(200)
        // A total of 0: a compressed stream whose length is known only once it ends.
        let finished = progress.totalBytes > 0 && progress.bytes >= progress.totalBytes
        guard newPhase || finished || now - track.lastShown >= interval else { return }
        track.lastShown = now

        let elapsed = Double((now - track.phaseStart).components.attoseconds) / 1e18 + Double((now - track.phaseStart).components.seconds)
        let moved = progress.bytes - track.phaseStartBytes
        let rate = elapsed > 0.05 && moved > 0 ? Double(moved) / elapsed : nil
        let eta = progress.totalBytes > 0 ? rate.map { Double(progress.totalBytes - progress.bytes) / $0 } : nil
        switch mode {
        case .quiet:
            return
        case .json:
            JSONLines.emit(Event(target: target, site: target.flatMap { sites[$0] }, phase: progress.phase,
                                 bytes: progress.bytes, totalBytes: progress.totalBytes,
                                 bytesPerSecond: rate.map { $0.rounded() }, etaSeconds: eta.map { ($0 * 10).rounded() / 10 }))
        case .terminal:
            track.line = Self.line(progress, rate: rate, eta: eta)
            if targets.count <= 1 {
                Terminal.writeStderr(cursor: "\r\u{1B}[K", track.line)
                linesShown = 1
            } else {
                tracks[key] = track
                drawTargets(now: now, force: newPhase || finished)
            }
        }
    }

    /// Several targets on a terminal: a target's line says `text` once its progress is over
    /// ("written and verified", "done").
    func status(_ text: String, target: String) {
        guard mode == .terminal && targets.count > 1 else { return }
        tracks[target, default: Track(phaseStart: clock.now, lastShown: clock.now)].line = text
        drawTargets(now: clock.now, force: true)
    }

    /// Several targets: their lines as one block, redrawn in place at most every 0.2 s.
    private func drawTargets(now: ContinuousClock.Instant, force: Bool) {
        guard force || now - lastDrawn >= .milliseconds(200) else { return }
        lastDrawn = now
        let nameWidth = targets.map { (sites[$0] ?? $0).count }.max() ?? 0
        var cursor = linesShown > 0 ? "\u{1B}[\(linesShown)A" : ""
        for target in targets {
            let name = (sites[target] ?? target).padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            Terminal.writeStderr(cursor: cursor + "\r\u{1B}[K", name + "  " + (tracks[target]?.line ?? "waiting") + "\n")
            cursor = ""
        }
        linesShown = targets.count
    }

    /// Ends the progress line so the next message starts on its own line. `erasing` clears it
    /// instead, for a success whose summary repeats it (a stale "verify ... 100%" line is noise).
    /// Several targets' lines stay as they last were: each ends in its last phase.
    func finish(erasing: Bool = false) {
        if linesShown > 0 && targets.count <= 1 { Terminal.writeStderr(cursor: erasing ? "\r\u{1B}[K" : "", erasing ? "" : "\n") }
        linesShown = 0
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
