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

            Compressed images (gzip, xz, zstd; told by their magic bytes, not their name) are \
            decompressed while writing, xz on several threads when the stream has several blocks. \
            A checksum beside the compressed file (installer.iso.xz.sha256, or a SHA256SUMS entry \
            naming installer.iso.xz) is checked over the compressed file as stored; a --checksum \
            file's entry for the decompressed name (installer.iso) is checked over the decompressed \
            image; a --sha256/--sha512 digest may be of either, and the summary says which matched. \
            The read-back compares the device with the decompressed image. When the file does not \
            state its decompressed size (gzip; zstd made from a pipe), the image is written as it \
            comes and a stick that ends before it does is refused and left blank. Corrupt, truncated \
            or trailing data is refused (exit 6) naming the byte offset in the compressed file, and \
            the stick is left blank. --user-data needs an uncompressed image.

            Examples:
              edgeflash write palette-edge-installer.iso /dev/sdb
              edgeflash write installer.iso /dev/sdb --yes --json    # scripts
              edgeflash write installer.iso /dev/sdb --sha256 9f86d0...
              edgeflash write disk.img.xz /dev/sdb                 # decompressed while writing
              edgeflash write installer.iso /dev/sdb --unmount       # unmount first
              edgeflash write installer.iso /dev/sdb --user-data site.yaml
              edgeflash write installer.iso                  # pick the drive from a list

            Ctrl-C stops cleanly (exit 130): what was written is flushed, the stick is incomplete \
            and will not boot. JSON output is described in docs/write-json.md.
            """
    )

    @Argument(help: ArgumentHelp("The image to write (an installer ISO or a disk image, plain or gzip/xz/zstd-compressed).", valueName: "image"))
    var image: String

    @Argument(help: ArgumentHelp("The whole disk to write to, such as /dev/sdb; none: pick it from a list, on a terminal.", valueName: "device"))
    var devices: [String] = []

    @OptionGroup var options: DiskChangeOptions

    @Flag(help: "Skip reading the device back after writing.")
    var noVerify = false

    @Flag(help: "Skip the capacity probe that refuses a counterfeit stick (one that claims more than it stores) before writing.")
    var noProbe = false

    @Option(help: ArgumentHelp("A bmaptool block map: only the ranges it maps are written and read back, each checked against its checksum. By default IMAGE.bmap is used when it exists (for disk.img.xz: disk.img.xz.bmap, then disk.img.bmap).",
                               valueName: "file"), completion: .file(extensions: ["bmap"]))
    var bmap: String?

    @Flag(help: "Write every byte of the image, even when a bmap is beside it (a sparse file's holes are still zeroed, not written).")
    var noBmap = false

    @Option(help: ArgumentHelp("OpenPGP keyring (gpgv format) to check a signed bmap (BMAP.asc, BMAP.sig) with; by default gpgv's own (~/.gnupg/trustedkeys.kbx).",
                               valueName: "file"), completion: .file())
    var keyring: String?

    @OptionGroup var checksum: ChecksumOptions

    func validate() throws {
        if bmap != nil && noBmap { throw ValidationError("Give --bmap or --no-bmap, not both.") }
    }

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
            let site = try userData.prepare()    // validated before anything is written
            var configuration = WriteConfiguration(imagePath: image, devicePath: device, checksum: checksum.source, verify: !noVerify, probe: !noProbe,
                                                   unmount: options.unmount, force: options.force, userData: site?.volume)
            configuration.bmap = noBmap ? .none : bmap.map { .file($0) } ?? .beside
            configuration.keyring = keyring
            let session = WriteSession(
                configuration,
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
                if let map = prepared.map { print(Self.mapSummary(map)) }
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

    /// What a block map or a sparse file's extents left out.
    static func mapSummary(_ map: ImageMap) -> String {
        let holes = map.zeroHoles ? "its holes zeroed on the disk" : "the rest left as it was, as bmaptool does"
        let checked = map.checksums == nil ? "" : ", each range's \(map.checksumType ?? "") checked"
        return "Mapped: \(ByteCount.human(map.mappedBytes)) in \(map.ranges.count) ranges from \(map.source) written and read back\(checked); \(holes)."
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
