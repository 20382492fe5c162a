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
            Before writing, in this order: the image must be a non-empty regular file (a pipe or \
            FIFO is refused: save it to a file first), and an ISO must be complete; an optical-only \
            ISO, which would not boot from a stick, is refused unless --force. Its checksum is looked \
            up (IMAGE.sha256, IMAGE.sha512, SHA256SUMS or SHA512SUMS beside it, or \
            --checksum/--sha256/--sha512); with none, an MD5 implanted in the ISO (implantisomd5) is \
            checked as checkisomd5 does. Then the disk is checked: a system disk, a mounted disk, a \
            partition, a read-only or too small disk, the disk holding the image and a busy disk are \
            refused. A confirmation shows the disk's model, size, serial and the partitions that will \
            be erased; the answer must be "yes".

            The disk is opened with O_DIRECT|O_EXCL. A capacity probe writes markers over its whole \
            claimed size, reads them back and puts back what was there: a counterfeit stick (one \
            that wraps around or loses writes) is refused before anything is written (--no-probe \
            skips it). Its first and last MiB are zeroed (old partition tables, the old backup GPT); \
            the image is written with its first MiB held back until the checksum has matched and \
            the rest was read back. After any failure the first MiB is zeroed again and read back, \
            so an interrupted or failed write never leaves a stick that looks bootable. The checksum \
            is computed while writing, not in a separate pass. Read-back bypasses the page cache and \
            compares per-chunk XXH3 digests taken from the image while writing.

            A disk image (a raw GPT or MBR disk, not an installer ISO) whose tables were made for \
            another logical sector size than the disk's (a GPT at byte 512 on a 4096-byte-sector \
            disk, or the reverse) is refused before writing. On a disk larger than the image, once \
            it is read back, its backup GPT moves to the disk's end (the primary header follows, as \
            sgdisk -e does); with --grow its last partition, GPT or MBR, ends at the disk's end too. \
            Installer ISOs are written as they are. --expect-serial and --expect-size refuse any \
            other disk before it is opened, for scripts where a disk's name can change between \
            boots; a /dev/disk/by-id or by-path link is shown with the disk it names.

            Examples:
              edgeflash write palette-edge-installer.iso /dev/sdb
              edgeflash write installer.iso /dev/sdb --yes --json    # scripts
              edgeflash write installer.iso /dev/sdb --sha256 9f86d0...
              edgeflash write installer.iso /dev/sdb --unmount       # unmount first
              edgeflash write installer.iso /dev/sdb --user-data site.yaml
              edgeflash write installer.iso                  # pick the drive from a list
              edgeflash write edge-disk.raw /dev/disk/by-id/nvme-X --expect-serial S5GXNF0R123456 --grow

            Ctrl-C stops cleanly (exit 130): what was written is flushed, the stick is incomplete \
            and will not boot. JSON output is described in docs/write-json.md.
            """
    )

    @Argument(help: ArgumentHelp("The image to write (an installer ISO).", valueName: "image"))
    var image: String

    @Argument(help: ArgumentHelp("The whole disk to write to, such as /dev/sdb; none: pick it from a list, on a terminal.", valueName: "device"))
    var devices: [String] = []

    @OptionGroup var options: DiskChangeOptions

    @Flag(help: "Skip reading the device back after writing.")
    var noVerify = false

    @Flag(help: "Skip the capacity probe that refuses a counterfeit stick (one that claims more than it stores) before writing.")
    var noProbe = false

    @Flag(help: "Grow a disk image's last partition (GPT or MBR) to the end of the disk (its filesystem is not resized). Not for ISOs, nor with --user-data.")
    var grow = false

    @OptionGroup var checksum: ChecksumOptions

    /// --user-data and friends: inject the site's volume after write and verify (see `inject`).
    @OptionGroup var userData: UserDataOptions

    func run() throws {
        let chosen = devices.isEmpty ? try DrivePicker.choose(imagePath: image) : devices
        guard chosen.count == 1, let device = chosen.first else {
            throw EdgeError(.usage, "write takes one device at a time", hint: "Write each drive with its own command.")
        }
        let progress = ProgressReporter(json: options.json)
        var report = WriteReport(image: image, device: device)
        do {
            if grow, userData.userData != nil {
                throw EdgeError(.usage, "--grow and --user-data both want the space after the image: give one",
                                hint: "Grow the last partition, or add the user-data volume after the image.")
            }
            let site = try userData.prepare()    // validated before anything is written
            let session = WriteSession(
                WriteConfiguration(imagePath: image, devicePath: device, checksum: checksum.source, verify: !noVerify, probe: !noProbe,
                                   unmount: options.unmount, force: options.force, userData: site?.volume,
                                   grow: grow, expectation: options.expectation),
                events: { event in
                    report.record(event.kind)
                    switch event.kind {
                    case .progress(let update):
                        progress.update(update)
                    case .targetAccepted where report.checksum?.state == "unverified" && !options.json:
                        // Said once the target is accepted, so a refused target's error is the only line shown.
                        Terminal.writeStderr("edgeflash: \(ChecksumSource.unverifiedNotice(imagePath: image))\n")
                    default:
                        break
                    }
                })
            let prepared = try session.prepare()
            if !options.yes { try Confirmation.ask(prepared.confirmation()) }
            let cancel = CancellationFlag()
            let result = try withExtendedLifetime(InterruptTrap(cancel: cancel)) { try prepared.run(cancel: cancel) }
            progress.finish(erasing: true)
            report.succeed()
            if options.json {
                if let injected = result.injected, let site {
                    JSONLines.emit(InjectResult(target: device, plan: injected, warnings: site.warnings))
                }
                JSONLines.emit(report)
            } else {
                print(Self.summary(result.outcome, image: image, device: device))
                if let tables = result.tables { print(Self.summary(tables)) }
                if let injected = result.injected { print(InjectCommand.summary(injected, target: device)) }
            }
            if let warning = result.outcome.partitionTableWarning { Terminal.writeStderr("edgeflash: warning: \(warning)\n") }
        } catch let error as EdgeFlashError {
            progress.finish()
            report.fail(error)
            if options.json { JSONLines.emit(report) }
            throw error
        }
    }

    /// What was done to a disk image's tables after the write.
    static func summary(_ tables: DiskImageFinish) -> String {
        var lines: [String] = []
        if let from = tables.backupHeaderFrom, let to = tables.backupHeaderTo, from != to {
            lines.append("Partition table: the backup GPT moved from sector \(from) to the disk's last sector, \(to).")
        }
        if let grown = tables.grown {
            lines.append("Grown: partition \(grown.number) now ends at the disk's end, sector \(grown.lastSector) (was \(grown.previousLastSector)): \(ByteCount.human(grown.bytes)); its filesystem keeps its size until resized.")
        }
        return lines.joined(separator: "\n")
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
            lines.append("Checksum: \(expected.matchDescription).")
        case .unverified:
            lines.append("Checksum: " + ChecksumSource.unverifiedNotice(imagePath: image) + ".")
        }
        return lines.joined(separator: "\n")
    }
}
