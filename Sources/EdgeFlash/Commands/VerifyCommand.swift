import ArgumentParser
import DiskOps
import EdgeCore
import Foundation
import ISOVerify

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an image against its checksum, or a written device against the image.",
        discussion: """
            The checksum is taken from --checksum/--sha256/--sha512, or found beside the image \
            (IMAGE.sha256, IMAGE.sha512, SHA256SUMS, SHA512SUMS); with none, an MD5 implanted in \
            the ISO (implantisomd5) is checked as checkisomd5 does. With no checksum the image is \
            reported as unverified, never as a pass, and the exit status is 1 unless --against \
            checked a device; a gzip, xz or zstd image is still decoded whole, so a truncated or \
            corrupt one fails (status 6). Beside a compressed image, a checksum of the image it \
            decompresses to (installer.iso.sha256, or an installer.iso entry in SHA256SUMS) is \
            checked over the decoded bytes; a SHA256SUMS with entries for both names has both checked.

            The image's ISO 9660 volume is checked too: the primary volume descriptor at 32 KiB, its \
            volume id, and the declared volume size against the file size. A truncated download is \
            named as such and fails (status 6); an image without an ISO 9660 volume (a raw disk \
            image) is said to be one and not checked further.

            --against DEVICE compares the device's first image-size bytes with the image (a gzip, \
            xz or zstd image decompressed, as the device holds it), reading the device with \
            O_DIRECT so the stick itself is checked, not the page cache. The \
            checksum is computed in the same pass. On a stick that user-data was injected into \
            (inject, write --user-data), the partition table bytes inject rewrote must hold the \
            image's tables with the user-data entry added (and the backup GPT at the disk's end), \
            and the user-data volume is checked: libblkid must find vfat CIDATA or iso9660 cidata \
            there, and a FAT volume's user-data must read whole. On a disk image that write finished \
            for a larger disk, the tables it rewrote (the backup GPT moved to the disk's end, a \
            partition grown with --grow) are expected likewise, byte for byte. An image written \
            through a bmap (--bmap, or the one write finds beside the image; --no-bmap for none) \
            is compared in the ranges it maps only: write leaves its unmapped blocks as they were.

            Examples:
              edgeflash verify palette-edge-installer.iso
              edgeflash verify installer.iso --sha256 9f86d081884c7d65...
              edgeflash verify installer.iso --against /dev/sdb
            """
    )

    @Argument(help: ArgumentHelp("The image to check.", valueName: "image"))
    var image: String

    @OptionGroup var checksum: ChecksumOptions

    @Option(help: ArgumentHelp("A device the image was written to: compare its bytes with the image.", valueName: "device"))
    var against: String?

    @OptionGroup var bmapOptions: ComparisonBmapOptions

    func validate() throws {
        if bmapOptions.bmap != nil && against == nil { throw ValidationError("--bmap is for --against DEVICE.") }
    }

    @Flag(help: "JSON lines on stdout: progress events and a final result object.")
    var json = false

    func run() throws {
        let reporter = ProgressReporter(json: json)
        var report = VerifyReport(image: image, device: against)
        do {
            try verify(reporter: reporter, report: &report)
            reporter.finish()
        } catch let error as EdgeFlashError {
            reporter.finish()
            report.exitStatus = error.exitStatus.rawValue
            report.error = error.message
            if json { JSONLines.emit(report) }
            throw error
        }
    }

    private func verify(reporter: ProgressReporter, report: inout VerifyReport) throws {
        let expected = try checksum.source.expected(forImage: image)
        report.checksum = .init(expected: expected)
        let volume = try ISOVolumeCheck.run(imagePath: image)
        report.volumeID = volume?.volumeID
        let cancel = CancellationFlag()
        let trap = InterruptTrap(cancel: cancel)
        defer { withExtendedLifetime(trap) {} }

        var matched: ExpectedChecksum?  // the checksum, once checked, with the bytes it matched
        func failed(_ mismatch: ChecksumMismatchError) -> ChecksumMismatchError {
            reporter.finish()
            report.checksum?.mismatched(mismatch)
            return mismatch
        }
        var imageSize: Int64 = 0
        var footprint: InjectionFootprint?
        var decodedWhole: WholeDecode.Result?
        if let against {
            // The device holds the image as written: a compressed one decoded, its tables as a
            // user-data injection or a disk image's finish rewrote them.
            try DiskSequenceLink.refuseIfStale(against)
            let device = try BlockDevice(path: against, access: .readOnly, direct: true)
            defer { device.close() }
            let comparison = try ImageComparison.run(imagePath: image, device: device, expected: expected,
                                                     bmap: bmapOptions.choice, keyring: bmapOptions.keyring,
                                                     cancel: cancel, progress: reporter.update)
            imageSize = comparison.imageSize
            footprint = comparison.footprint
            report.tables = comparison.tables
            report.mapped = comparison.map.map { VerifyReport.Mapped(bmap: $0.source, ranges: $0.ranges.count, bytes: $0.mappedBytes) }
            report.deviceState = comparison.firstDifference == nil ? "matched" : "mismatch"
            report.firstDifference = comparison.firstDifference
            if let mismatch = comparison.checksumMismatch { throw failed(mismatch) }
            matched = comparison.matched
        } else if let expected {
            // A compressed image's checksum is over its stored or its decoded bytes.
            do {
                matched = try ImageComparison.checksum(imagePath: image, expected: expected, progress: reporter.update)
            } catch let mismatch as ChecksumMismatchError {
                throw failed(mismatch)
            }
        } else {
            // Nothing to compare with, but a compressed image is decoded whole: a truncated,
            // corrupt or trailing stream fails here as it fails a write (exit 6).
            decodedWhole = try WholeDecode.run(imagePath: image) { done, total in
                reporter.update(WriteProgress(phase: .checksum, bytes: done, totalBytes: total))
            }
        }
        reporter.finish()

        var lines: [String] = []
        if let volume {
            lines.append("\(image): ISO 9660 volume '\(volume.volumeID)', \(volume.volumeBytes) bytes declared, the file holds all of it")
        } else {
            lines.append("\(image): no ISO 9660 volume (a raw disk image?): volume checks skipped")
        }
        if let matched {
            report.checksum?.actual = matched.hex
            report.checksum?.matched(matched, compressed: try isCompressed())
            lines.append("\(image): \(matched.matchDescription)")
        } else {
            lines.append("\(image): " + ChecksumSource.unverifiedNotice(imagePath: image))
        }
        if let against {
            if let offset = report.firstDifference {
                throw ReadBackMismatchError(devicePath: against, imagePath: image, offset: offset)
            }
            let compared = ComparedPart(imageSize: imageSize, bmap: report.mapped?.bmap, ranges: report.mapped?.ranges ?? 0,
                                        bytes: report.mapped?.bytes ?? 0)
            if let footprint {
                lines += try checkInjection(footprint, device: against, compared: compared, imageSize: imageSize, report: &report)
            } else if let tables = report.tables {
                let ranges = InjectionFootprint.rewrittenRanges(tables.writes, imageSize: imageSize)
                let describe = { InjectionFootprint.describe($0, sectorSize: tables.sectorSize) }
                let described = ranges.inImage.map(describe).joined(separator: ", ")
                    + ranges.afterImage.map { ", \(describe($0)) at the disk's end" }.joined()
                // An MBR has no backup: only a GPT's moved to the disk's end.
                let grown = tables.grown.map { "partition \($0.number) grown" }
                let finished = tables.layout == "gpt" ? "with its backup at the disk's end" + (grown.map { " and \($0)" } ?? "")
                    : grown.map { "with \($0)" } ?? "as the image has it"
                lines.append("\(against): \(compared.subject) match \(image) (read with O_DIRECT), except the partition table write rewrote for this disk (\(described)), which holds the image's table \(finished)\(compared.note)")
            } else {
                lines.append("\(against): \(compared.subject) match \(image) (read with O_DIRECT)\(compared.note)")
            }
        } else if expected == nil {
            let decoded = decodedWhole.map { " but that its \($0.format.rawValue) stream decodes whole (\($0.decodedBytes) bytes)" } ?? ""
            throw EdgeError(.failure, "\(image): unverified: nothing was checked\(decoded)",
                            hint: "Put \(URL(fileURLWithPath: image).lastPathComponent).sha256 beside it, or pass --sha256 HEX or --checksum FILE.")
        }
        report.ok = true
        report.exitStatus = ExitStatus.success.rawValue
        if json { JSONLines.emit(report) } else { print(lines.joined(separator: "\n")) }
    }

    /// The image is a gzip, xz or zstd file (told by its magic bytes).
    private func isCompressed() throws -> Bool {
        let file = try ImageFile(path: image)
        defer { file.close() }
        return try CompressedImage.format(of: file) != nil
    }

    /// After the image region matched (its table bytes as inject rewrote them): the tables inject
    /// wrote after the image, then the user-data volume. Returns the lines that say what was checked.
    private func checkInjection(_ footprint: InjectionFootprint, device: String, compared: ComparedPart, imageSize: Int64,
                                report: inout VerifyReport) throws -> [String] {
        let ranges = footprint.rewrittenRanges(imageSize: imageSize)
        var injection = VerifyReport.Injection(footprint, ranges: ranges)
        report.injection = injection
        if let offset = try footprint.firstTableDifferenceAfterImage(devicePath: device, imageSize: imageSize) {
            report.firstDifference = offset
            report.deviceState = "mismatch"
            throw EdgeError(.mismatch, "\(device): the partition table inject wrote after the image differs at byte offset \(offset) from the image's table with the user-data entry",
                            hint: "Inject the user-data again (edgeflash inject), or write the stick again.")
        }
        injection.volumeState = "damaged"
        report.injection = injection
        let volume = try footprint.checkVolume(devicePath: device)
        injection.volumeState = "intact"
        injection.volume = volume
        report.injection = injection
        let describe = { InjectionFootprint.describe($0, sectorSize: 512) }  // inject: 512-byte-sector disks only
        let described = ranges.inImage.map(describe).joined(separator: ", ")
            + ranges.afterImage.map { ", \(describe($0)) at the disk's end" }.joined()
        let contents = volume.userDataBytes.map { "user-data \($0) bytes" } ?? "ISO 9660 volume within its partition"
        return ["\(device): \(compared.subject) match \(image) (read with O_DIRECT), except the partition table entries inject rewrote (\(described)), which hold the image's tables with the user-data entry added\(compared.note)",
                "\(device): user-data volume \(volume.label) (\(volume.fileSystem)) at byte \(volume.offset) (partition \(footprint.partitionNumber)) intact, \(contents)"]
    }
}

/// The final JSON object of `verify --json` (schema: docs/write-json.md).
struct VerifyReport: Encodable {
    let type = "result"
    var ok = false
    var exitStatus: Int32 = ExitStatus.failure.rawValue
    var image: String
    var checksum: WriteReport.Checksum?
    /// The ISO 9660 volume id; nil when the image is not an ISO.
    var volumeID: String?
    var device: String?
    /// "matched" or "mismatch" with --against; nil otherwise.
    var deviceState: String?
    var firstDifference: Int64?
    /// With --against on a stick that had user-data injected: what the comparison expected instead
    /// of the image's table bytes, and the volume's check.
    var injection: Injection?
    /// With --against on a disk image whose tables write finished for a larger disk: what it
    /// changed (as in `write`'s result), compared instead of the image's own table bytes.
    var tables: DiskImageFinish?
    /// With --against through a bmap: the ranges compared, the rest of the device not.
    var mapped: Mapped?
    var error: String?

    struct Mapped: Encodable {
        var bmap: String
        var ranges: Int
        var bytes: Int64
    }

    struct Injection: Encodable {
        struct ByteRange: Encodable {
            var offset: Int64
            var length: Int64
        }
        /// "mbr", "gpt" or "none" (a new MBR in an image without a table).
        var layout: String
        var partition: Int
        /// Ranges inject rewrote inside the image: compared with the image's tables plus the
        /// user-data entry instead of the image's bytes.
        var rewrittenRanges: [ByteRange]
        /// Ranges inject wrote after the image (the backup GPT at the disk's end), compared likewise.
        var rewrittenAfterImage: [ByteRange]
        /// "intact", "damaged", or nil when the tables already differed.
        var volumeState: String?
        var volume: InjectedVolume?

        init(_ footprint: InjectionFootprint, ranges: (inImage: [Range<Int64>], afterImage: [Range<Int64>])) {
            layout = footprint.layout.rawValue
            partition = footprint.partitionNumber
            let byteRanges = { (list: [Range<Int64>]) in list.map { ByteRange(offset: $0.lowerBound, length: Int64($0.count)) } }
            rewrittenRanges = byteRanges(ranges.inImage)
            rewrittenAfterImage = byteRanges(ranges.afterImage)
        }
    }

    init(image: String, device: String?) {
        self.image = image
        self.device = device
    }
}
