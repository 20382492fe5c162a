import ArgumentParser
import BuildStage
import DiskOps
import EdgeCore
import Foundation

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Say what a stick holds: which image, intact or not, and which site's user-data.",
        discussion: """
            Reads the stick (or an image file) with O_DIRECT and changes nothing. The image region \
            is the written image: a user-data volume added after it is not part of it. Its SHA-256 \
            is taken as the image had it (where inject rewrote the partition tables, or write \
            finished a disk image's for a larger disk, the image's own tables are put back first, \
            and the finish must be whole), and the flash log names the image and when it was \
            written to this stick. --image compares the region with an image file instead (a \
            gzip, xz or zstd image decompressed) and names the first byte that differs. A stick \
            written through a bmap holds only its ranges: --image compares those (the bmap found \
            as write finds it, or --bmap; --no-bmap for none), and without --image the log's \
            digest of the ranges names it.

            The user-data volume (vfat CIDATA or iso9660 cidata) is read from userspace, without \
            mounting: its user-data is validated, named by its SHA-256 against the log (the site it \
            was written for) and, with --show, printed with its secrets redacted. No secret value \
            is ever printed.

            Exit status 0 only when the image region is intact (it matches --image, or an image \
            the log says was written) and the user-data volume is readable and valid (or, as the \
            log says this stick was written, there is none). Otherwise: \
            4 the region differs (from --image, or from what the log says this stick was written \
            with), or the volume is missing or damaged; 6 the user-data is invalid; 1 the image \
            region matches nothing known (pass --image); 5 the stick cannot be read.

            Examples:
              edgeflash check /dev/sdb
              edgeflash check /dev/sdb --image palette-edge-installer.iso
              edgeflash check /dev/sdb --show
            """
    )

    @Argument(help: ArgumentHelp("The stick (or image file) to check.", valueName: "device"))
    var device: String

    @Option(help: ArgumentHelp("Compare the image region with this image, naming the first byte that differs.", valueName: "image"))
    var image: String?

    @OptionGroup var bmapOptions: ComparisonBmapOptions

    @Flag(help: "Print the user-data, its secrets redacted.")
    var show = false

    @Flag(help: "JSON lines on stdout: progress events and a final result object.")
    var json = false

    @Option(help: ArgumentHelp("The flash log to name the image and the site from (default: /var/log/edgeflash/flash.jsonl as root, else $XDG_STATE_HOME/edgeflash/flash.jsonl).", valueName: "file"))
    var log: String?

    func validate() throws {
        if bmapOptions.bmap != nil && image == nil { throw ValidationError("--bmap is for --image IMAGE.") }
    }

    func run() throws {
        let reporter = ProgressReporter(json: json)
        var result = CheckReport(device: device)
        do {
            try check(reporter: reporter, result: &result)
        } catch let error as EdgeFlashError {
            reporter.finish()
            result.exitStatus = error.exitStatus.rawValue
            result.error = error.message
            if json { JSONLines.emit(result) }
            throw error
        }
    }

    private func check(reporter: ProgressReporter, result: inout CheckReport) throws {
        let flashLog = FlashLog.resolve(log)
        let contents = try flashLog.read()
        if !contents.skippedLines.isEmpty && !json {
            Terminal.writeStderr("edgeflash: \(flashLog.path): skipped \(contents.skippedLines.count) line(s) that are not whole records (line \(contents.skippedLines.map(String.init).joined(separator: ", ")))\n")
        }
        try DiskSequenceLink.refuseIfStale(device)
        // The log names a disk by its own path, also when a /dev/disk/by-id link was given.
        let disk = URL(fileURLWithPath: device).resolvingSymlinksInPath().path
        let found = Findings(device: disk, serial: (try? Inventory.live())?.first { $0.path == disk }?.serial,
                             log: contents, logPath: flashLog.path)
        let cancel = CancellationFlag()
        let stick = try withExtendedLifetime(InterruptTrap(cancel: cancel)) {
            try StickCheck.run(path: device, image: image, bmap: bmapOptions.choice, keyring: bmapOptions.keyring,
                               known: contents.knownImages, loggedLength: found.undigestedWrite?.imageSize,
                               cancel: cancel, progress: reporter.update)
        }
        reporter.finish()

        result.size = stick.size
        let region = found.image(stick, comparedWith: image)
        let userData = found.userData(stick.volume, show: show, writtenWithout: found.writeWithoutUserData(stick, comparedWith: image))
        result.image = region.report
        result.userData = userData.report
        let lines = region.lines + userData.lines, scrubber = userData.scrubber
        if !json {
            print(scrubber.scrub(lines.joined(separator: "\n")))
            if show, let redacted = result.userData?.redacted {
                print("--- user-data (secrets redacted) ---")
                print(redacted, terminator: redacted.hasSuffix("\n") ? "" : "\n")
            }
        }
        // The most serious failure decides the status: the image's first, then the volume's or the data's.
        if let failure = region.failure ?? userData.failure { throw scrubber.scrub(failure) }
        result.ok = true
        result.exitStatus = ExitStatus.success.rawValue
        if json { JSONLines.emit(result) }
    }
}

/// What `check` says about each half of a stick, from what it read and what the flash log knows:
/// the report's part, the lines printed, and the failure that decides the status, if any.
private struct Findings {
    let device: String
    let serial: String?
    let log: FlashLog.Contents
    let logPath: String

    /// The log's latest write to this stick, when it took no SHA-256 of the image to name it by.
    var undigestedWrite: FlashRecord? { log.undigestedWrite(serial: serial, device: device) }

    /// Did `record` write `matched`? By its digest; or, for a write that took none, when `image`,
    /// the file the region was just compared with byte for byte, has the name and size it logged.
    func wrote(_ matched: KnownImage, _ record: FlashRecord, comparedWith image: String?) -> Bool {
        if matched.isWritten(by: record) { return true }
        guard let image, KnownImage(record) == nil else { return false }
        return record.image == URL(fileURLWithPath: image).lastPathComponent && record.imageSize == matched.size
    }

    func image(_ stick: StickCheck.Report, comparedWith image: String?) -> (report: CheckReport.Image, lines: [String], failure: EdgeError?) {
        var report = CheckReport.Image(length: stick.regionLength, sha256: stick.regionSHA256)
        report.mapped = stick.mapped.map { CheckReport.Mapped(bmap: $0.bmap, ranges: $0.ranges, bytes: $0.bytes, digest: image == nil ? "ranges" : "image") }
        var region = "\(device): image region \(ByteCount.human(stick.regionLength)) (\(stick.regionLength) bytes)"
        let ranges = stick.mapped.map { "the \(counted($0.ranges, "range")) \($0.bmap) maps (\(ByteCount.human($0.bytes)))" }
        switch (ranges, image) {
        case (let ranges?, nil): region += ", \(ranges) with the SHA-256 of their SHA-256s \(stick.regionSHA256)"
        case (let ranges?, _?): region += ", SHA-256 \(stick.regionSHA256) (the image's), compared in \(ranges)"
        case (nil, _): region += ", SHA-256 \(stick.regionSHA256)"
        }
        if let image, let offset = stick.firstDifference {
            report.state = "differs"
            report.firstDifference = offset
            let inRanges = ranges.map { ", inside \($0)" } ?? ""
            return (report, ["\(device): image region differs from \(image) at byte offset \(offset)\(inRanges)"],
                    EdgeError(.mismatch, "\(device): the image region differs from \(image) at byte offset \(offset)\(inRanges)",
                              hint: "Write the stick again (edgeflash write)."))
        }
        if let matched = stick.matched {
            let named = log.latest(serial: serial, device: device) { wrote(matched, $0, comparedWith: image) }
            let written = named.flatMap { FlashLog.sameStick($0, serial: serial, device: device) ? $0 : nil }
            report.state = "intact"
            report.name = image.map { URL(fileURLWithPath: $0).lastPathComponent } ?? named?.image
            report.written = written?.time
            var line = region + ", intact: " + (image.map { "matches \($0)" } ?? "the image \(named?.image ?? "?") in the log")
            if let written { line += ", written \(written.time) (\(written.operation.rawValue))" }
            if let tables = stick.tables {
                report.tables = tables
                let finished = [tables.layout == "gpt" ? "the backup GPT at the disk's end" : nil, tables.grown.map { "partition \($0.number) grown" }]
                line += ", its partition table as write finished it for this disk (\(finished.compactMap { $0 }.joined(separator: ", ")))"
            }
            return (report, [line], nil)
        }
        if let written = undigestedWrite {
            // Nothing was hashed whole when it was written: only the image file can tell.
            let name = written.image ?? "the image"
            return (report, [region + ", not named: the log's write of \(name) (\(written.time)) recorded no SHA-256 of the image to compare it with"],
                    EdgeError(.failure, "\(device): unverified: \(name) was written to it (\(written.time)) as a sparse image, by its data extents alone and without a SHA-256 checksum, so nothing took the SHA-256 of the whole image that would name what the stick holds",
                              hint: "Compare it with the image file: edgeflash check \(device) --image \(written.image ?? "IMAGE")."))
        }
        if let expected = log.latest(serial: serial, device: device, where: { KnownImage($0) != nil && FlashLog.sameStick($0, serial: serial, device: device) }) {
            report.state = "differs"
            let name = expected.image ?? "the image"
            return (report, [region + ", which is not the image the log says was written to it (\(name), \(expected.time))"],
                    EdgeError(.mismatch, "\(device): the image region does not match \(name) written to it \(expected.time) (\(logPath))",
                              hint: "Compare it with the image to find the first differing byte: edgeflash check \(device) --image \(expected.image ?? "IMAGE")."))
        }
        return (report, [region + ", an image the log (\(logPath)) does not know"],
                EdgeError(.failure, "\(device): unverified: the image region matches no image in \(logPath)",
                          hint: "Compare it with the image: edgeflash check \(device) --image IMAGE."))
    }

    /// The log's last word on this stick, when it is the write of the image the region holds,
    /// without user-data: such a stick (a disk image, say) has no user-data volume to miss.
    func writeWithoutUserData(_ stick: StickCheck.Report, comparedWith image: String?) -> FlashRecord? {
        guard let matched = stick.matched,
              let last = log.records.last(where: { $0.succeeded && FlashLog.sameStick($0, serial: serial, device: device) }),
              last.operation == .write, last.userDataSHA256 == nil, wrote(matched, last, comparedWith: image) else { return nil }
        return last
    }

    /// Also the scrubber that keeps the user-data's secret values out of everything printed.
    /// `writtenWithout`: the write that added no user-data (`writeWithoutUserData`).
    func userData(_ volume: StickCheck.VolumeFinding, show: Bool, writtenWithout write: FlashRecord?)
        -> (report: CheckReport.UserData, lines: [String], failure: EdgeError?, scrubber: SecretScrubber) {
        let volumeFiles: (InjectedVolume, UserDataVolumeFiles)
        switch volume {
        case .missing(let error):
            if let write {
                return (CheckReport.UserData(state: "none"),
                        ["\(device): no user-data volume, as written: the log's write of \(write.image ?? "the image") (\(write.time)) added none"], nil, .none)
            }
            return (CheckReport.UserData(state: "missing"), ["\(device): user-data volume: \(error.message)"], error, .none)
        case .damaged(let error):
            return (CheckReport.UserData(state: "damaged"), ["\(device): user-data volume: \(error.message)"], error, .none)
        case .found(let volume, let files):
            volumeFiles = (volume, files)
        }
        let (volume, files) = volumeFiles
        let text = String(decoding: files.userData, as: UTF8.self)
        let scrubber = SecretScrubber(secrets: UserDataRedactor.secretValues(in: text))
        let sha256 = UserDataFiles.sha256(of: Data(files.userData))
        let validation = UserDataValidator.validate(Data(files.userData), file: "\(device):user-data")
        let site = log.latest(serial: serial, device: device) { $0.userDataSHA256 == sha256 }
        var report = CheckReport.UserData(state: validation.isValid ? "valid" : "invalid")
        report.volume = volume
        report.sha256 = sha256
        report.site = site?.site
        report.instanceID = files.metaData.flatMap { UserDataFiles.instanceID(inMetaData: Data($0)) }
        report.issues = validation.issues.map { issue in
            var scrubbed = issue
            scrubbed.message = scrubber.scrub(issue.message)
            return scrubbed
        }
        if show { report.redacted = scrubber.scrub(UserDataRedactor.redact(text)) }

        var line = "\(device): user-data volume \(volume.label) (\(volume.fileSystem)) at byte \(volume.offset), user-data \(files.userData.count) bytes, SHA-256 \(sha256)"
        line += site.map { ": site \($0.site ?? "?") (written \($0.time))" } ?? ": a site the log does not know"
        if let id = report.instanceID { line += ", instance-id \(id)" }
        let errors = report.issues.filter { $0.severity == .error }
        let lines = [line, "\(device): user-data " + (errors.isEmpty ? "valid" : "invalid") + (report.issues.isEmpty ? "" : ":")]
            + report.issues.map { "  " + $0.formatted(file: "user-data") }
        let failure = errors.isEmpty ? nil
            : EdgeError.userDataInvalid("\(device): the user-data on the stick is invalid (\(errors.count) error\(errors.count == 1 ? "" : "s"))")
        return (report, lines, failure, scrubber)
    }
}

/// The final JSON object of `check --json` (schema: docs/check.md).
struct CheckReport: Encodable {
    let type = "result"
    var ok = false
    var exitStatus: Int32 = ExitStatus.failure.rawValue
    var device: String
    var size: Int64?
    var image: Image?
    var userData: UserData?
    var error: String?

    struct Image: Encodable {
        var length: Int64
        var sha256: String
        /// "intact", "differs" or "unknown" (matches nothing in the log; no --image).
        var state = "unknown"
        /// The image's file name, from --image or the log.
        var name: String?
        /// When the log says it was written to this stick.
        var written: String?
        var firstDifference: Int64?
        /// A disk image's tables as write finished them for this disk, found whole on it.
        var tables: DiskImageFinish?
        /// A stick written through a bmap: the ranges compared (`--image`) or hashed.
        var mapped: Mapped?

        init(length: Int64, sha256: String) {
            self.length = length
            self.sha256 = sha256
        }
    }

    /// A bmap's ranges, the only bytes of the region a write through it put on the stick.
    struct Mapped: Encodable {
        var bmap: String
        var ranges: Int
        var bytes: Int64
        /// What `image.sha256` is of: "ranges" (the SHA-256 of the ranges' SHA-256s, as the log
        /// records a write through a bmap), or "image" (the image file's, with --image).
        var digest: String
    }

    struct UserData: Encodable {
        /// "valid", "invalid", "damaged", "missing", or "none" (the log's write added none).
        var state: String
        var volume: InjectedVolume?
        var sha256: String?
        var site: String?
        var instanceID: String?
        var issues: [UserDataIssue] = []
        /// With --show: the user-data with its secrets redacted.
        var redacted: String?

        init(state: String) { self.state = state }
    }

    init(device: String) { self.device = device }
}
