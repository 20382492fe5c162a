import DiskOps
import EdgeCore
import Foundation
import ISOVerify

/// `write` to its devices: one session each (a device refused by its preflight is left out, the
/// others go on), one question for them all, then one run that reads the image once for every
/// device (`MultiTargetWrite`). Each device's result is appended to the flash log. One device
/// reports as `write` always did; several end with a table, and the process exits 0 only when
/// every device succeeded, otherwise with the most serious failure's status
/// (`ExitStatus.mostSerious`).
final class WriteTargets: @unchecked Sendable {
    private let command: WriteCommand
    private let sites: SiteAssignment
    private let devices: [String]
    private let progress: ProgressReporter
    /// Touched by every device's threads: guarded by `lock`.
    private var reports: [WriteReport]
    private let lock = NSLock()
    private var unverifiedNoticeShown = false

    init(_ command: WriteCommand, devices: [String], sites: SiteAssignment) {
        self.command = command
        self.sites = sites
        self.devices = devices
        progress = ProgressReporter(json: command.options.json, targets: devices, sites: sites.sites)
        reports = devices.enumerated().map { index, device in
            var report = WriteReport(image: command.image, device: device)
            report.site = sites.sites[index]
            return report
        }
    }

    /// What became of each device.
    private struct Result {
        var written: WriteResult?
        var failure: (any EdgeFlashError)?
        var disk: Disk?
        /// The ranges a bmap or a sparse file's extents limited the write to.
        var map: ImageMap?
        /// The image as the disk holds it (decoded), when known.
        var imageSize: Int64?
        var seconds: Double = 0
        /// Refused by its preflight: said before the question, not again after the table.
        var leftOut = false
    }

    func run() throws {
        var results = devices.map { _ in Result() }
        var prepared: [(index: Int, write: PreparedWrite)] = []
        // Several devices are checked against one reading of the machine's disks.
        let readFacts = devices.count > 1 && !command.options.unmount ? try TargetFacts.liveOnce() : TargetFacts.live
        for index in devices.indices {
            let start = Date()
            do {
                let session = WriteSession(configuration(index), readFacts: readFacts, events: { self.handle($0, device: index) })
                prepared.append((index, try session.prepare()))
            } catch {
                results[index].failure = error as? any EdgeFlashError ?? EdgeError(.failure, "\(error)")
                results[index].leftOut = true
                results[index].seconds = Date().timeIntervalSince(start)
            }
        }
        // Two names of one disk (a path and its /dev/disk/by-id link) would race each other on it:
        // the later name is left out.
        var seen: [DeviceNumber: String] = [:]
        prepared.removeAll { index, write in
            guard let number = write.disk.devNumber else { return false }
            guard let first = seen[number] else { seen[number] = devices[index]; return false }
            write.image.close()
            results[index].failure = EdgeError(.usage, "\(devices[index]) is the same disk as \(first)", hint: "Give each disk once.")
            results[index].leftOut = true
            return true
        }
        let command = self.command
        if devices.count == 1, results[0].failure != nil {
            return try finishAndExit(results)  // as write always said it, and logged
        }
        if devices.count > 1 && !command.options.json {
            for result in results {
                if let failure = result.failure { tell(failure, leftOut: true) }
            }
        }
        if !prepared.isEmpty {
            if !command.options.yes {
                if devices.count == 1 {
                    try Confirmation.ask(prepared[0].write.confirmation())
                } else {
                    try Confirmation.ask(BatchConfirmation(prepared.map { $0.write.confirmation() }),
                                         sites: prepared.map { sites.sites[$0.index] })
                }
            }
            let cancel = CancellationFlag()
            let outcome: MultiTargetWrite.Outcome
            do {
                outcome = try withExtendedLifetime(InterruptTrap(cancel: cancel)) {
                    try MultiTargetWrite(prepared.map(\.write)).run(cancel: cancel)
                }
            } catch {
                // The image could not be opened again for the run: nothing was written.
                let failure = error as? any EdgeFlashError ?? EdgeError(.failure, "\(error)")
                for (index, write) in prepared { results[index] = Result(failure: failure, disk: write.disk) }
                return try finishAndExit(results)
            }
            for ((index, write), target) in zip(prepared, outcome.targets) {
                let imageSize = outcome.image?.size ?? (write.source.sizeIsStated ? write.source.size : nil)
                results[index] = Result(written: target.written, failure: target.failure, disk: write.disk, map: write.map,
                                        imageSize: imageSize, seconds: target.seconds)
                if write.source is CompressedImage { reports[index].decoded(bytes: imageSize) }
            }
            return try finishAndExit(results, image: outcome.image, mapped: outcome.mapped)
        }
        try finishAndExit(results)
    }

    private func configuration(_ index: Int) -> WriteConfiguration {
        var configuration = WriteConfiguration(imagePath: command.image, devicePath: devices[index], checksum: command.checksum.source,
                                               verify: !command.noVerify, probe: !command.noProbe, unmount: command.options.unmount,
                                               force: command.options.force, userData: sites.sameVolume,
                                               userDataForDisk: sites.volumeForDisk(at: index),
                                               grow: command.grow, expectation: command.options.expectation)
        configuration.bmap = WriteConfiguration.BmapChoice(given: command.bmap, skip: command.noBmap)
        configuration.keyring = command.keyring
        return configuration
    }

    private func handle(_ event: SessionEvent, device index: Int) {
        lock.withLock {
            reports[index].record(event.kind)
            switch event.kind {
            case .progress(let update):
                progress.update(update, target: devices[index])
            case .written(let outcome):
                let written = outcome.readBackVerified ? "written and verified" : "written"
                progress.status(sites.userData(at: index) == nil ? "done: \(written)" : "\(written), adding the user-data", target: devices[index])
            case .injected:
                progress.status("done: written, verified, user-data added", target: devices[index])
            case .targetAccepted where reports[index].checksum?.state == "unverified" && !command.options.json && !unverifiedNoticeShown:
                // Said once a target is accepted, so a refused target's error is the only line shown.
                unverifiedNoticeShown = true
                Terminal.writeStderr("edgeflash: \(ChecksumSource.unverifiedNotice(imagePath: command.image))\n")
            default:
                break
            }
        }
    }

    /// Logs and reports every device; throws the status to exit with when any failed.
    private func finishAndExit(_ results: [Result], image: WrittenImage? = nil, mapped: MappedRanges? = nil) throws {
        finish(results, image: image, mapped: mapped)
        let failed = results.indices.filter { results[$0].failure != nil }
        guard !failed.isEmpty else { return }
        if devices.count == 1 { throw results[0].failure! }
        throw TargetsFailed(failed: failed.map { devices[$0] }, of: devices.count,
                            exitStatus: .mostSerious(failed.map { results[$0].failure!.exitStatus }))
    }

    private func finish(_ results: [Result], image: WrittenImage?, mapped: MappedRanges?) {
        progress.finish(erasing: results.allSatisfy { $0.failure == nil })
        let records = log(results, image: image, mapped: mapped)
        for (index, result) in results.enumerated() {
            if let failure = result.failure { reports[index].fail(failure) } else { reports[index].succeed() }
        }
        if devices.count == 1 {
            reportOne(results[0])
        } else {
            reportAll(results, records: records)
        }
    }

    /// Every record names the image as the writes read it (decompressed), a failed stick's too, and
    /// the bmap's ranges the writes followed.
    private func log(_ results: [Result], image: WrittenImage?, mapped: MappedRanges?) -> [FlashRecord] {
        let records = results.enumerated().map { index, result in
            // The disk a /dev/disk/by-id link resolved to, and the link as given.
            var record = FlashRecord(.write, device: result.disk?.path ?? devices[index], disk: result.disk,
                                     userData: sites.userData(at: index), failure: result.failure, seconds: result.seconds)
            if record.device != devices[index] { record.givenPath = devices[index] }
            record.site = record.site ?? sites.sites[index]
            record.describeImage(path: command.image, size: image?.size ?? result.imageSize ?? reports[index].imageBytes, sha256: image?.sha256)
            record.mapped = mapped
            return record
        }
        command.logOptions.append(records)
        return records
    }

    /// One device: what write always printed.
    private func reportOne(_ result: Result) {
        let report = reports[0], device = devices[0]
        guard result.failure == nil, let written = result.written else {
            if command.options.json { JSONLines.emit(report) }
            return
        }
        if command.options.json {
            if let injected = written.injected {
                JSONLines.emit(InjectResult(target: device, plan: injected, warnings: sites.userData(at: 0)?.warnings ?? []))
            }
            JSONLines.emit(report)
        } else {
            print(WriteCommand.summary(written.outcome, image: command.image, imageSize: result.imageSize, mapped: result.map != nil,
                                       device: result.disk.map { Self.name($0, given: device) } ?? device))
            if let map = result.map { print(WriteCommand.mapSummary(map)) }
            if let tables = written.tables { print(WriteCommand.summary(tables)) }
            if let injected = written.injected { print(InjectCommand.summary(injected, target: device)) }
        }
        if let warning = written.outcome.partitionTableWarning { Terminal.writeStderr("edgeflash: warning: \(warning)\n") }
    }

    /// "/dev/sdb", or "/dev/sdb (given as /dev/disk/by-id/usb-X)" when a link to it was given.
    static func name(_ disk: Disk, given: String) -> String {
        disk.path == given ? given : "\(disk.path) (given as \(given))"
    }

    /// Several devices: each device's result object (JSON) and a summary, or a table.
    private func reportAll(_ results: [Result], records: [FlashRecord]) {
        if command.options.json {
            for (index, result) in results.enumerated() {
                if let injected = result.written?.injected {
                    JSONLines.emit(InjectResult(target: devices[index], plan: injected, warnings: sites.userData(at: index)?.warnings ?? []))
                }
                JSONLines.emit(reports[index])
            }
            JSONLines.emit(WriteSummary(records: records))
            return
        }
        var rows = [["DEVICE", "SERIAL", "SITE", "RESULT", "SECONDS"]]
        for record in records {
            rows.append([record.device, record.serial ?? "-", record.site ?? "-",
                         record.succeeded ? "ok" : "FAILED: \(record.result) (exit \(record.exitStatus))",
                         String(format: "%.1f", record.seconds)])
        }
        print(TextColumns.render(rows), terminator: "")
        fflush(nil)  // before the failures' lines on stderr
        for result in results {
            if let failure = result.failure {
                if !result.leftOut { tell(failure, leftOut: false) }
            } else if let warning = result.written?.outcome.partitionTableWarning {
                Terminal.writeStderr("edgeflash: warning: \(warning)\n")
            }
        }
    }

    /// A device's failure on stderr, under the table (or before the question, for a device left out).
    private func tell(_ failure: any EdgeFlashError, leftOut: Bool) {
        Terminal.writeStderr("edgeflash: " + (leftOut ? "left out: " : "") + failure.message + "\n" + (failure.hint.map { "  \($0)\n" } ?? ""))
    }
}

/// Some of several devices failed: the message names them; the status is the most serious one's.
struct TargetsFailed: EdgeFlashError {
    let failed: [String]
    let of: Int
    let exitStatus: ExitStatus

    var message: String { "\(failed.count) of \(of) devices failed: \(failed.joined(separator: ", "))" }
    var hint: String? { "The table above says how each device ended; `edgeflash log` keeps it." }
}

/// `write --json` to several devices: the last line, after each device's result object.
struct WriteSummary: Encodable {
    struct Target: Encodable {
        var device: String
        var serial: String?
        var site: String?
        var ok: Bool
        var result: String
        var exitStatus: Int32
        var seconds: Double
    }

    let type = "summary"
    var ok: Bool
    var exitStatus: Int32
    var targets: [Target]

    init(records: [FlashRecord]) {
        targets = records.map { Target(device: $0.device, serial: $0.serial, site: $0.site, ok: $0.succeeded,
                                       result: $0.result, exitStatus: $0.exitStatus, seconds: $0.seconds) }
        ok = targets.allSatisfy(\.ok)
        exitStatus = ExitStatus.mostSerious(records.compactMap { ExitStatus(rawValue: $0.exitStatus) }).rawValue
    }
}
