import ArgumentParser
import DiskOps
import EdgeCore
import Foundation
import ISOVerify

struct WriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",
        abstract: "Write an image to one or several whole disks, then read each back to verify it.",
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

            Several devices are written side by side: the image is read once and handed to each, and \
            each device has its own write, read-back and user-data volume; a device that fails (or is \
            refused by its checks, which are the same as for one) fails alone and the others go on. \
            One confirmation shows every device with its model, size, serial and site; one "yes" \
            covers them all. With --user-data TEMPLATE --sites FILE, each stick gets its own site: \
            --site NAME once per device, in device order, or --next, which takes the next sites in \
            the file's order that the flash log has no good stick for. Each stick's meta-data gets \
            the instance-id SITE-SERIAL (a random suffix when the stick has no serial). It ends with \
            a table of the devices (device, serial, site, result, seconds). The exit status is 0 \
            only when every device succeeded; otherwise it is the most serious failure's, in this \
            order: 130 interrupted, 4 mismatch, 5 I/O error, 6 invalid input, 3 refused, 7 not \
            confirmed, 64 usage, 1 failure.

            Every device's result is appended to the flash log (--log FILE; see `edgeflash log`): \
            the image's name, size and SHA-256 (of the decompressed image, for a compressed one; \
            computed while writing when no checksum file gave it), the device's model, serial, size and transport, the site, the SHA-256 of its \
            user-data (never the user-data itself), the instance-id, the result and the seconds it took.

            Compressed images (gzip, xz, zstd; told by their magic bytes, not their name) are \
            decompressed while writing, xz on several threads when the stream has several blocks. \
            A checksum beside the compressed file (installer.iso.xz.sha256, or a SHA256SUMS entry \
            naming installer.iso.xz) is checked over the compressed file as stored; one for the \
            decompressed name (installer.iso.sha256 beside it, or an entry for installer.iso in \
            SHA256SUMS or a --checksum file) is checked over the decompressed image; a list that \
            names both has both lines checked, and either one wrong refuses the write; a \
            --sha256/--sha512 digest may be of either, and the summary says which matched. Other \
            formats (bzip2, lz4, zip, qcow2...) and files that are no disk image (a bmap, a \
            checksum list, a signature) are refused by name before the stick is touched. \
            The read-back compares the device with the decompressed image. When the file does not \
            state its decompressed size (gzip; zstd made from a pipe), the image is written as it \
            comes and a stick that ends before it does is refused and left blank. Corrupt, truncated \
            or trailing data is refused (exit 6) naming the byte offset in the compressed file, and \
            the stick is left blank. A compressed image's tables are read decompressed, so a disk \
            image is finished as below and a --user-data volume planned after it as for a plain \
            one; --user-data needs an image that states its decompressed size (xz, zstd). A \
            compressed image is decoded by each device's write on its own.

            A disk image (a raw GPT or MBR disk, not an installer ISO) whose tables were made for \
            another logical sector size than the disk's (a GPT at byte 512 on a 4096-byte-sector \
            disk, or the reverse) is refused before writing. On a disk larger than the image, once \
            it is read back, its backup GPT moves to the disk's end (the primary header follows, as \
            sgdisk -e does); with --grow its last partition, GPT or MBR, ends at the disk's end too; \
            512- and 4096-byte-sector images alike, in the disk's own sectors. A --user-data \
            volume needs a disk with 512-byte sectors. Installer ISOs are written as they are. --expect-serial and --expect-size refuse any \
            other disk before it is opened, for scripts where a disk's name can change between \
            boots; a /dev/disk/by-id or by-path link is shown with the disk it names. A \
            /dev/disk/by-diskseq/N link names one disk instance: it is refused once the device it \
            points to is another disk (its diskseq is no longer N).

            Examples:
              edgeflash write palette-edge-installer.iso /dev/sdb
              edgeflash write installer.iso /dev/sdb --yes --json    # scripts
              edgeflash write installer.iso /dev/sdb --sha256 9f86d0...
              edgeflash write disk.img.xz /dev/sdb                 # decompressed while writing
              edgeflash write installer.iso /dev/sdb --unmount       # unmount first
              edgeflash write installer.iso /dev/sdb --user-data site.yaml
              edgeflash write installer.iso /dev/sdb /dev/sdc --user-data site-template.yaml \
                --sites sites.csv --site berlin --site paris
              edgeflash write installer.iso /dev/sdb /dev/sdc /dev/sdd --user-data site-template.yaml \
                --sites sites.csv --next
              edgeflash write installer.iso                  # pick the drives from a list
              edgeflash write edge-disk.raw /dev/disk/by-id/nvme-X --expect-serial S5GXNF0R123456 --grow

            Ctrl-C stops cleanly (exit 130): what was written is flushed, the stick is incomplete \
            and will not boot. JSON output is described in docs/write-json.md, the flash log in \
            docs/flash-log.md.
            """
    )

    @Argument(help: ArgumentHelp("The image to write (an installer ISO or a disk image, plain or gzip/xz/zstd-compressed).", valueName: "image"))
    var image: String

    @Argument(help: ArgumentHelp("The whole disks to write to, such as /dev/sdb (several: written side by side); none: pick them from a list, on a terminal.", valueName: "device"))
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

    @Option(help: ArgumentHelp("OpenPGP keyring (gpgv format) to check a signed bmap with (a detached BMAP.asc or BMAP.sig, or a clearsigned BMAP, of which only the signed text is used); by default gpgv's own (~/.gnupg/trustedkeys.kbx).",
                               valueName: "file"), completion: .file())
    var keyring: String?

    @Flag(help: "Grow a disk image's last partition (GPT or MBR) to the end of the disk (its filesystem is not resized). Not for ISOs, nor with --user-data.")
    var grow = false

    @OptionGroup var checksum: ChecksumOptions

    func validate() throws {
        if bmap != nil && noBmap { throw ValidationError("Give --bmap or --no-bmap, not both.") }
    }

    /// --user-data and friends: inject the site's volume after write and verify (see `inject`).
    @OptionGroup var userData: UserDataOptions

    @Flag(help: "With --sites: give the devices the next sites of the sites file, in file order, that the flash log has no good stick for.")
    var next = false

    @OptionGroup var logOptions: LogOptions

    func run() throws {
        let sites: SiteAssignment
        let devices: [String]
        do {
            if grow, userData.userData != nil {
                throw EdgeError(.usage, "--grow and --user-data both want the space after the image: give one",
                                hint: "Grow the last partition, or add the user-data volume after the image.")
            }
            devices = self.devices.isEmpty ? try DrivePicker.choose(imagePath: image) : self.devices
            if let repeated = Dictionary(grouping: devices, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
                throw EdgeError(.usage, "\(repeated) is given twice")
            }
            // Validated, and every site rendered, before anything is written.
            sites = try SiteAssignment(userData, devices: devices, next: next, log: logOptions.log)
        } catch let error as EdgeFlashError {
            if options.json { JSONLines.emit(WriteReport(image: image, device: self.devices.joined(separator: " "), failing: error)) }
            throw error
        }
        try WriteTargets(self, devices: devices, sites: sites).run()
    }

    /// What a block map or a sparse file's extents left out.
    static func mapSummary(_ map: ImageMap) -> String {
        let holes = map.zeroHoles ? "its holes zeroed on the disk" : "the rest left as it was, as bmaptool does"
        let checked = map.checksums == nil ? "" : ", each range's \(map.checksumType ?? "") checked"
        return "Mapped: \(ByteCount.human(map.mappedBytes)) in \(counted(map.ranges.count, "range")) from \(map.source) written and read back\(checked); \(holes)."
    }

    /// What was done to a disk image's tables after the write.
    static func summary(_ tables: DiskImageFinish) -> String {
        var lines: [String] = []
        if let why = tables.notFinished {
            lines.append("Partition table: left as the image made it: \(why).")
        }
        if let from = tables.backupHeaderFrom, let to = tables.backupHeaderTo, from != to {
            lines.append("Partition table: the backup GPT moved from sector \(from) to the disk's last sector, \(to).")
        }
        if let grown = tables.grown {
            lines.append("Grown: partition \(grown.number) now ends at the disk's end, sector \(grown.lastSector) (was \(grown.previousLastSector)): \(ByteCount.human(grown.bytes)); its filesystem keeps its size until resized.")
        }
        return lines.joined(separator: "\n")
    }

    /// `imageSize`: the image as the disk holds it (decoded), when known; `mapped`: only the ranges
    /// of a bmap or a sparse file's extents were written (`outcome.bytesWritten` of them).
    static func summary(_ outcome: WriteOutcome, image: String, imageSize: Int64?, mapped: Bool, device: String) -> String {
        let name = URL(fileURLWithPath: image).lastPathComponent
        let written = ByteCount.human(outcome.bytesWritten)
        let size = !mapped ? ByteCount.human(imageSize ?? outcome.bytesWritten)
            : imageSize.map { "\(ByteCount.human($0)) image; \(written) written" } ?? "\(written) written"
        var lines = [String(format: "Wrote %@ (%@) to %@ in %.1f s (%@).", name, size,
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
