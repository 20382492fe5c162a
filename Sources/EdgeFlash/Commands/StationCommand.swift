import ArgumentParser
import BuildStage
import DiskOps
import EdgeCore
import Foundation
import ISOVerify
import Synchronization

struct StationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "Write every stick that is inserted: the image, then the next site's user-data.",
        discussion: """
            Prints "insert a stick" and waits. Each new drive that appears and that edgeflash would \
            offer (USB or MMC, removable or fixed-flash, never a system disk) is written with the \
            image, read back, and given the next site of --sites that the flash log has no \
            successful stick for: its user-data rendered from the template, a meta-data instance-id \
            of the site and the stick's serial. Then "<site>: done, remove the stick". A drive that \
            was already there when the station started is never touched, nor is a stick written \
            twice while it stays plugged in. Sticks inserted together are written side by side; a \
            failed stick is logged and its site goes to the next stick, and a stick inserted while \
            the others fill --count waits for a failed one's place. Every stick's result is a \
            line of the flash log (operation station): see docs/flash-log.md.

            Refused at the start, before any stick is taken: a flash log that cannot be appended \
            to (exit 5), an image that does not state its decompressed size (gzip; zstd made from \
            a pipe; exit 3) or whose size headers are cut off or damaged (xz, zstd; exit 6). The checksum the image is checked against is said at the start, as \
            write says it. The station stops on its own, stopping sticks being written as Ctrl-C \
            does, when the image does not match its checksum (exit 4) or a flash log append \
            failed (exit 5): either would fail or repeat every next stick.

            New drives are noticed through the kernel's uevents, with /sys/block read again every \
            half second. Without --yes the station asks once, at the start: every new stick \
            inserted while it runs will be erased. Ctrl-C stops it (exit 130): sticks being written \
            are stopped and left blank (not bootable), finished ones stay as they are.

            --allow-loop lets new loop devices stand for sticks, for demos and tests (with \
            EDGEFLASH_LOOP_DIR set, only loop devices over files in that directory).

            Examples:
              edgeflash station installer.iso --user-data site.tmpl.yaml --sites sites.csv
              edgeflash station installer.iso --user-data site.tmpl.yaml --sites sites.csv --count 20 --yes
            """
    )

    @Argument(help: ArgumentHelp("The image to write (an installer ISO).", valueName: "image"))
    var image: String

    @Option(name: .customLong("user-data"), help: ArgumentHelp("The user-data template (Mustache) each site is rendered from.", valueName: "file"))
    var template: String

    @Option(help: ArgumentHelp("A sites.yaml or sites.csv: the sites, in the order they are handed out.", valueName: "file"))
    var sites: String

    @Option(help: "Stop after this many sticks were written successfully.")
    var count: Int?

    @Option(help: ArgumentHelp("The flash log (default: /var/log/edgeflash/flash.jsonl as root, else $XDG_STATE_HOME/edgeflash/flash.jsonl).", valueName: "file"))
    var log: String?

    @Flag(help: "Do not ask before starting (for scripts).")
    var yes = false

    @Flag(help: "Let new loop devices stand for sticks (demos and tests).")
    var allowLoop = false

    @Flag(help: "JSON lines on stdout: one event per line, each naming its target.")
    var json = false

    @OptionGroup var checksum: ChecksumOptions

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count takes a number of sticks, at least 1.") }
    }

    func run() throws {
        let flashLog = FlashLog.resolve(log)
        let batch = try SiteBatch(templatePath: template, sitesPath: sites)
        let logged = try flashLog.read().sitesDone
        // A station with no site to give would wait for sticks it can only pass over.
        guard !batch.catalog.order.isEmpty else {
            throw EdgeError(.malformed, "\(sites) names no site", hint: "Add the sites, one per line (CSV) or per entry (YAML).")
        }
        guard batch.catalog.order.contains(where: { !logged.contains($0) }) else {
            throw EdgeError(.refused, "every site in \(sites) already has a stick in the flash log \(flashLog.path)",
                            hint: "See them with 'edgeflash log --log \(flashLog.path)'; give another sites file, or another log to start over.")
        }
        // Every site's user-data is rendered and validated now: a bad one stops the station
        // before any stick is erased, not at its turn.
        for site in batch.catalog.order where !logged.contains(site) {
            try batch.files(site: site, serial: nil).requireValid()
        }
        let output = StationOutput(json: json, image: image)
        let station = try Station(
            Station.Configuration(imagePath: image, checksum: checksum.source,
                                  rules: DriveArrivals.Rules(allowLoop: allowLoop, loopDirectory: ProcessInfo.processInfo.environment["EDGEFLASH_LOOP_DIR"]),
                                  count: count, log: flashLog, version: EdgeFlashCommand.configuration.version),
            nextSite: { excluding in try? batch.nextSites(1, done: logged.union(excluding)).first },
            userData: { site, disk in try StationUserData.make(batch.files(site: site, serial: disk.serial)) },
            events: output.show)
        if !yes { try confirm() }
        let cancel = CancellationFlag()
        let summary = try withExtendedLifetime(InterruptTrap(cancel: cancel)) { try station.run(cancel: cancel) }
        output.finish(summary, log: flashLog.path)
        if let stopped = summary.stopped { throw stopped }
        if summary.interrupted {
            throw EdgeError(.interrupted, "station stopped: \(summary.done.count) stick\(summary.done.count == 1 ? "" : "s") done; any stick being written was left blank")
        }
    }

    /// One question for the whole run: which drives will be erased, and that the answer is "yes".
    private func confirm() throws {
        guard Terminal.stdinIsTTY else {
            throw EdgeError(.notConfirmed, "nothing written: no terminal to confirm the station on",
                            hint: "Pass --yes to start without asking (for scripts).")
        }
        let question = """
            The station ERASES every new drive inserted while it runs: any USB or MMC stick or card \
            that edgeflash would offer\(allowLoop ? ", and any new loop device" : ""). Drives plugged in now are left alone.
            Each is written with \(URL(fileURLWithPath: image).lastPathComponent) and the next site of \(sites).

            """ + ConfirmationRequest.instruction
        let answer = Confirmation.answerOrExitOnInterrupt(question: question, saying: "\nedgeflash: station not started: interrupted\n")
        guard answer?.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
            throw EdgeError(.notConfirmed, "station not started: " + (answer == nil ? "no answer" : "not confirmed"))
        }
    }
}

/// A site's files as the station's sessions take them: validated, on a vfat CIDATA volume of the
/// default size.
enum StationUserData {
    static func make(_ files: UserDataFiles) throws -> StickUserData {
        try files.requireValid()
        return StickUserData(volume: UserDataVolume(files, fileSystem: .vfat, size: nil), sha256: files.userDataSHA256,
                             instanceID: UserDataFiles.instanceID(inMetaData: files.metaData) ?? "")
    }
}

/// The station's lines: one per event, from any stick's thread, never interleaved.
final class StationOutput: Sendable {
    let json: Bool
    let image: String
    private let lock = Mutex<[String: WriteProgress.Phase]>([:])

    init(json: Bool, image: String) {
        self.json = json
        self.image = image
    }

    struct Line: Encodable {
        let type = "station"
        var event: String
        var target: String?
        var site: String?
        var serial: String?
        var phase: String?
        var seconds: Double?
        var reason: String?
        var exitStatus: Int32?
        /// The checksum each stick is checked against, as `write --json` reports it before the write.
        var checksum: WriteReport.Checksum?
    }

    func show(_ event: Station.Event) {
        lock.withLock { phases in
            switch event {
            case .checksum(let expected):
                // Write's words: its "unverified image" warning on stderr, or what will be checked.
                if json {
                    say(Line(event: "checksum", checksum: WriteReport.Checksum(expected: expected)), "")
                } else if let expected {
                    say(Line(event: "checksum"), "Checksum: \(expected.pendingDescription), checked on every stick.")
                } else {
                    Terminal.writeStderr("edgeflash: \(ChecksumSource.unverifiedNotice(imagePath: image))\n")
                }
            case .waiting:
                say(Line(event: "waiting"), "insert a stick")
            case .passedOver(let disk, let reason):
                say(Line(event: "passedOver", target: disk.path, reason: reason), "\(disk.path): left alone: \(reason)")
            case .started(let disk, let site):
                say(Line(event: "started", target: disk.path, site: site, serial: disk.serial),
                    "\(site): writing \(disk.path) (\(Self.describe(disk)))")
            case .session(let inner, let site):
                // A line when a stick enters a phase, not a progress bar per stick.
                guard case .progress(let progress) = inner.kind, phases[inner.target] != progress.phase else { return }
                phases[inner.target] = progress.phase
                say(Line(event: "phase", target: inner.target, site: site, phase: progress.phase.rawValue),
                    "\(site): \(progress.phase.rawValue) \(inner.target)")
            case .done(let disk, let site, let seconds):
                phases[disk.path] = nil
                say(Line(event: "done", target: disk.path, site: site, serial: disk.serial, seconds: (seconds * 10).rounded() / 10),
                    String(format: "%@: done, remove the stick (%@, %.1f s)", site, disk.path, seconds))
            case .failed(let disk, let site, let error):
                phases[disk.path] = nil
                say(Line(event: "failed", target: disk.path, site: site, serial: disk.serial, reason: error.message, exitStatus: error.exitStatus.rawValue),
                    "\(site): FAILED on \(disk.path): \(error.message)\n\(site): goes to the next stick; remove this one")
            case .held(let disk):
                say(Line(event: "held", target: disk.path),
                    "\(disk.path): waits: the sticks being written take every place; it is taken if one of them fails")
            case .removed(let device):
                say(Line(event: "removed", target: device), "\(device): removed")
            case .logFailed(let error):
                if json { say(Line(event: "logFailed", reason: error.message), "") } else { Terminal.writeStderr("edgeflash: \(error.message)\n") }
            }
        }
    }

    func finish(_ summary: Station.Summary, log: String) {
        lock.withLock { _ in
            let done = summary.done.map { "\($0.site) \($0.device)" }.joined(separator: ", ")
            var text = "station: \(summary.done.count) stick\(summary.done.count == 1 ? "" : "s") done\(done.isEmpty ? "" : " (\(done))"), \(summary.failed) failed\(summary.logFailed ? "; NOT all logged: \(log) could not be appended to" : "; logged in \(log)")"
            if summary.sitesExhausted { text += "\nstation: every site has a stick" }
            say(Line(event: "finished", reason: summary.sitesExhausted ? "every site has a stick" : nil), text)
        }
    }

    private func say(_ line: Line, _ text: String) {
        if json { JSONLines.emit(line) } else { print(text); fflush(nil) }
    }

    private static func describe(_ disk: Disk) -> String {
        let model = [disk.vendor, disk.model].compactMap { $0 }.joined(separator: " ")
        return [model.isEmpty ? nil : VisibleText.inLine(model), ByteCount.human(disk.size), disk.serial.map { "serial \(VisibleText.inLine($0))" }]
            .compactMap { $0 }.joined(separator: ", ")
    }
}
