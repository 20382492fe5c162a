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
            (IMAGE.sha256, IMAGE.sha512, SHA256SUMS, SHA512SUMS). With no checksum the image is \
            reported as unverified, never as a pass, and the exit status is 1 unless --against \
            checked a device.

            The image's ISO 9660 volume is checked too: the primary volume descriptor at 32 KiB, its \
            volume id, and the declared volume size against the file size. A truncated download is \
            named as such and fails (status 6); an image without an ISO 9660 volume (a raw disk \
            image) is said to be one and not checked further.

            --against DEVICE compares the device's first image-size bytes with the image, reading \
            the device with O_DIRECT so the stick itself is checked, not the page cache. The \
            checksum is computed in the same pass.

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
        let source = try ImageFile(path: image)
        defer { source.close() }
        let expected = try checksum.source.expected(forImage: image)
        report.checksum = .init(expected: expected)
        let volume = try ISOVolumeCheck.run(imagePath: image)
        report.volumeID = volume?.volumeID
        let cancel = CancellationFlag()
        let trap = InterruptTrap(cancel: cancel)
        defer { withExtendedLifetime(trap) {} }

        var actual: String?
        if let against {
            let device = try BlockDevice(path: against, access: .readOnly, direct: true)
            defer { device.close() }
            let result = try DeviceComparison.compare(image: source, device: device, algorithm: expected?.algorithm,
                                                      cancel: cancel, progress: reporter.update)
            actual = result.imageHash
            report.deviceState = result.firstDifference == nil ? "matched" : "mismatch"
            report.firstDifference = result.firstDifference
        } else if let expected {
            actual = try FileHasher.hash(file: URL(fileURLWithPath: image), algorithm: expected.algorithm) { done in
                reporter.update(WriteProgress(phase: .checksum, bytes: done, totalBytes: source.size))
            }
        }
        reporter.finish()

        var lines: [String] = []
        if let volume {
            lines.append("\(image): ISO 9660 volume '\(volume.volumeID)', \(volume.volumeBytes) bytes declared, the file holds all of it")
        } else {
            lines.append("\(image): no ISO 9660 volume (a raw disk image?): volume checks skipped")
        }
        if let expected, let actual {
            report.checksum?.actual = actual
            guard actual == expected.hex else {
                report.checksum?.state = "mismatch"
                throw ChecksumMismatchError(imagePath: image, expected: expected, actual: actual)
            }
            report.checksum?.state = "matched"
            lines.append("\(image): \(expected.algorithm.rawValue.uppercased()) matches \(expected.source)")
        } else {
            lines.append("\(image): " + ChecksumSource.unverifiedNotice(imagePath: image))
        }
        if let against {
            if let offset = report.firstDifference {
                throw ReadBackMismatchError(devicePath: against, imagePath: image, offset: offset)
            }
            lines.append("\(against): its first \(ByteCount.human(source.size)) match \(image) (read with O_DIRECT)")
        } else if expected == nil {
            throw EdgeError(.failure, "\(image): unverified: nothing was checked",
                            hint: "Put \(URL(fileURLWithPath: image).lastPathComponent).sha256 beside it, or pass --sha256 HEX or --checksum FILE.")
        }
        report.ok = true
        report.exitStatus = ExitStatus.success.rawValue
        if json { JSONLines.emit(report) } else { print(lines.joined(separator: "\n")) }
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
    var error: String?

    init(image: String, device: String?) {
        self.image = image
        self.device = device
    }
}
