import ArgumentParser
import DiskOps
import EdgeCore
import Foundation
import ISOVerify

struct WriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",
        abstract: "Write an image to a whole disk, then read it back to verify it.",
        discussion: """
            Before writing, the image is checked against its checksum when one is known \
            (IMAGE.sha256, IMAGE.sha512, SHA256SUMS or SHA512SUMS beside it, or \
            --checksum/--sha256/--sha512), and the disk is checked: a system disk, a mounted disk, a \
            partition, a read-only or too small disk, the disk holding the image and a busy disk are \
            refused; so is an optical-only ISO, which would not boot from a stick, unless --force. \
            A confirmation shows the disk's model, size, serial and the partitions that \
            will be erased.

            The disk is opened with O_DIRECT|O_EXCL. Its first and last MiB are zeroed (old \
            partition tables, the old backup GPT); the image is written with its first MiB held back \
            until the checksum has matched and the rest was read back, so an interrupted or failed \
            write never leaves a stick that looks bootable. The checksum is computed while writing, \
            not in a separate pass. Read-back bypasses the page cache and compares per-chunk XXH3 \
            digests taken from the image while writing.

            Examples:
              edgeflash write palette-edge-installer.iso /dev/sdb
              edgeflash write installer.iso /dev/sdb --yes --json    # scripts
              edgeflash write installer.iso /dev/sdb --sha256 9f86d0...
              edgeflash write installer.iso /dev/sdb --unmount       # unmount first
              edgeflash write installer.iso /dev/sdb --user-data site.yaml

            Ctrl-C stops cleanly (exit 130): what was written is flushed, the stick is incomplete \
            and will not boot. JSON output is described in docs/write-json.md.
            """
    )

    @Argument(help: ArgumentHelp("The image to write (an installer ISO).", valueName: "image"))
    var image: String

    @Argument(help: ArgumentHelp("The whole disk to write to, such as /dev/sdb.", valueName: "device"))
    var device: String

    @Flag(help: "Do not ask for confirmation (for scripts).")
    var yes = false

    @Flag(help: "Skip reading the device back after writing.")
    var noVerify = false

    @Flag(help: "Unmount the disk's mounted partitions instead of refusing.")
    var unmount = false

    @Flag(help: "Override the refusals that have an override: an internal (non-removable) disk, an ISO that will not boot from a stick.")
    var force = false

    @Flag(help: "JSON lines on stdout: progress events and a final result object.")
    var json = false

    @OptionGroup var checksum: ChecksumOptions

    /// --user-data and friends: inject the site's volume after write and verify (see `inject`).
    @OptionGroup var userData: UserDataOptions

    func run() throws {
        let reporter = ProgressReporter(json: json)
        var report = WriteReport(image: image, device: device)
        do {
            let siteUserData = try userData.prepare()    // validated before anything is written
            let outcome = try write(reporter: reporter, report: &report)
            reporter.finish(erasing: true)
            let injected = try siteUserData?.inject(into: device, imageSize: report.imageBytes)
            report.succeed(outcome)
            if json {
                if let injected, let siteUserData { JSONLines.emit(InjectResult(target: device, plan: injected, warnings: siteUserData.warnings)) }
                JSONLines.emit(report)
            } else {
                print(Self.summary(outcome, image: image, device: device))
                if let injected { print(InjectCommand.summary(injected, target: device)) }
            }
            if let warning = outcome.partitionTableWarning { Terminal.writeStderr("edgeflash: warning: \(warning)\n") }
        } catch let error as EdgeFlashError {
            reporter.finish()
            report.fail(error)
            if json { JSONLines.emit(report) }
            throw error
        }
    }

    private func write(reporter: ProgressReporter, report: inout WriteReport) throws -> WriteOutcome {
        let source = try ImageFile(path: image)  // refuses a directory before anything is touched
        guard source.size > 0 else {
            throw EdgeError(.malformed, "\(image) is empty: nothing to write")
        }
        report.imageBytes = source.size
        // A truncated ISO download is refused here; so is an ISO that cannot boot from a stick.
        if try ISOVolumeCheck.run(imagePath: image) != nil, !force,
           let refusal = try BootVerdict.assess(image: URL(fileURLWithPath: image)).refusalForRawWrite(image: image) {
            throw refusal
        }
        let expected = try checksum.expected(forImage: image)
        report.checksum = .init(expected: expected)

        let disk = try TargetCheck.check(TargetRequest(imagePath: image, imageSize: source.size, devicePath: device,
                                                       unmount: unmount, force: force))
        // Said once the target is accepted, so a refused target's error is the only line shown.
        if expected == nil, !json { Terminal.writeStderr("edgeflash: \(ChecksumOptions.unverifiedNotice(imagePath: image))\n") }
        try Confirmation.ask(disk: disk, imagePath: image, imageSize: source.size, assumeYes: yes)

        try ExclusiveAccess.check(devicePath: disk.path)  // EBUSY named with its holders
        let target = try BlockDevice(path: disk.path, access: .readWrite, direct: true, exclusive: true)
        let cancel = CancellationFlag()
        let trap = InterruptTrap(cancel: cancel)
        defer { withExtendedLifetime(trap) {} }
        let writer = try ImageWriter(image: source, device: target, expected: expected, cancel: cancel,
                                     progress: reporter.update)
        do {
            return try writer.run(verify: !noVerify)
        } catch let mismatch as ChecksumMismatchError {
            report.checksum?.actual = mismatch.actual
            report.checksum?.state = "mismatch"
            throw mismatch
        }
    }

    static func summary(_ outcome: WriteOutcome, image: String, device: String) -> String {
        let name = URL(fileURLWithPath: image).lastPathComponent
        var lines = [String(format: "Wrote %@ (%@) to %@ in %.1f s (%@).", name, ByteCount.human(outcome.bytesWritten),
                            device, outcome.writeSeconds,
                            ProgressReporter.rateText(Double(outcome.bytesWritten) / max(outcome.writeSeconds, 0.001)))]
        if let seconds = outcome.verifySeconds {
            lines.append(String(format: "Verified: %@ read back from the device (O_DIRECT) matches the image (%.1f s).",
                                ByteCount.human(outcome.bytesWritten), seconds))
        } else {
            lines.append("Not verified: --no-verify skipped the read-back.")
        }
        switch outcome.checksum {
        case .matched(let expected):
            lines.append("Checksum: \(expected.algorithm.rawValue.uppercased()) matches \(expected.source).")
        case .unverified:
            lines.append("Checksum: " + ChecksumOptions.unverifiedNotice(imagePath: image) + ".")
        }
        return lines.joined(separator: "\n")
    }
}

/// The final JSON object of `write --json` (schema: docs/write-json.md).
struct WriteReport: Encodable {
    struct Checksum: Encodable {
        /// "matched", "mismatch", "pending" (not reached), or "unverified" (no checksum known).
        var state: String
        var algorithm: String?
        var expected: String?
        var actual: String?
        var source: String?

        init(expected: ExpectedChecksum?) {
            state = expected == nil ? "unverified" : "pending"
            algorithm = expected?.algorithm.rawValue
            self.expected = expected?.hex
            source = expected?.source
        }
    }

    struct Failure: Encodable {
        var message: String
        var hint: String?
        var offset: Int64?
    }

    let type = "result"
    var ok = false
    var exitStatus: Int32 = ExitStatus.failure.rawValue
    var image: String
    var device: String
    var imageBytes: Int64?
    var bytesWritten: Int64?
    var checksum: Checksum?
    /// "matched", "skipped" (--no-verify), "mismatch", or "not-run".
    var readBack = "not-run"
    var writeSeconds: Double?
    var verifySeconds: Double?
    var warnings: [String] = []
    var error: Failure?

    init(image: String, device: String) {
        self.image = image
        self.device = device
    }

    mutating func succeed(_ outcome: WriteOutcome) {
        ok = true
        exitStatus = ExitStatus.success.rawValue
        bytesWritten = outcome.bytesWritten
        if case .matched = outcome.checksum { checksum?.state = "matched" }
        readBack = outcome.readBackVerified ? "matched" : "skipped"
        writeSeconds = (outcome.writeSeconds * 1000).rounded() / 1000
        verifySeconds = outcome.verifySeconds.map { ($0 * 1000).rounded() / 1000 }
        if let warning = outcome.partitionTableWarning { warnings.append(warning) }
    }

    mutating func fail(_ failure: EdgeFlashError) {
        ok = false
        exitStatus = failure.exitStatus.rawValue
        var offset: Int64?
        switch failure {
        case let mismatch as ReadBackMismatchError:
            offset = mismatch.offset
            readBack = "mismatch"
        case let interrupted as WriteInterruptedError:
            bytesWritten = interrupted.bytesWritten
        case let io as DeviceIOError:
            offset = io.offset
        default:
            break
        }
        error = Failure(message: failure.message, hint: failure.hint, offset: offset)
    }
}
