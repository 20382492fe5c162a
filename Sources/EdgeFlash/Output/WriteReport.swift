import DiskOps
import EdgeCore
import ISOVerify

/// The final JSON object of `write --json` (schema: docs/write-json.md), built from the session's
/// events as they come, so a failure at any step still reports what was known and done.
struct WriteReport: Encodable {
    struct Checksum: Encodable {
        /// "matched", "mismatch", "pending" (not reached), or "unverified" (no checksum known).
        var state: String
        var algorithm: String?
        var expected: String?
        var actual: String?
        var source: String?
        /// Once matched, the bytes the digest is of: "image" (a plain image file), "compressed"
        /// (a gzip, xz or zstd file as stored) or "decoded" (its decompressed image); on a
        /// mismatch, the bytes whose digest did not match.
        var covers: String?
        /// The line `source` has for the image a compressed file decompresses to, checked over the
        /// decoded bytes as well as `expected` over the stored ones; nil when it has none.
        var decodedExpected: String?

        init(expected: ExpectedChecksum?) {
            state = expected == nil ? "unverified" : "pending"
            algorithm = expected?.algorithm.rawValue
            self.expected = expected?.hex
            source = expected?.source
            decodedExpected = expected?.decodedImageLine?.hex
        }

        mutating func mismatched(_ mismatch: ChecksumMismatchError) {
            state = "mismatch"
            actual = mismatch.actual
            covers = mismatch.decoded ? "decoded" : mismatch.expected.coverage == .storedFile ? "compressed" : "image"
        }

        /// Matched `expected`, over the bytes its coverage says; `compressed`: the image file is.
        mutating func matched(_ expected: ExpectedChecksum, compressed: Bool) {
            state = "matched"
            covers = expected.coverage == .storedFile ? "compressed" : compressed ? "decoded" : "image"
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
    /// The site whose user-data went on the device, and the device's serial (several devices).
    var site: String?
    var serial: String?
    /// The image file's size, as stored (a compressed one's too).
    var imageBytes: Int64?
    /// A compressed image's decompressed size, as the device holds it; nil for a plain image, or
    /// a stream whose end was not reached.
    var decodedBytes: Int64?
    var bytesWritten: Int64?
    var checksum: Checksum?
    /// "matched", "skipped" (--no-verify), "mismatch", or "not-run".
    var readBack = "not-run"
    /// After a failure that had touched the device: "blank" (zeroed and read back) or "not-blank";
    /// nil when it succeeded or was refused before anything was written.
    var firstMiB: String?
    var writeSeconds: Double?
    var verifySeconds: Double?
    /// A disk image's tables after the write: the backup GPT moved to the disk's end, the last
    /// partition grown (--grow); nil when they were left as the image has them.
    var tables: DiskImageFinish?
    var warnings: [String] = []
    var error: Failure?

    init(image: String, device: String) {
        self.image = image
        self.device = device
    }

    /// A write that failed before any device was looked at (a bad command line, invalid user-data).
    init(image: String, device: String, failing failure: any EdgeFlashError) {
        self.init(image: image, device: device)
        fail(failure)
    }

    mutating func record(_ event: SessionEvent.Kind) {
        switch event {
        case .imageOpened(let bytes):
            imageBytes = bytes
        case .checksumKnown(let expected):
            checksum = Checksum(expected: expected)
        case .written(let outcome):
            // Recorded as soon as the image is on the disk: a step after it (the user-data
            // volume) may still fail, and the result must not say "pending" for a checksum that matched.
            bytesWritten = outcome.bytesWritten
            if case .matched(let matched) = outcome.checksum { checksum?.matched(matched, compressed: false) }
            readBack = outcome.readBackVerified ? "matched" : "skipped"
            writeSeconds = (outcome.writeSeconds * 1000).rounded() / 1000
            verifySeconds = outcome.verifySeconds.map { ($0 * 1000).rounded() / 1000 }
            if let warning = outcome.partitionTableWarning { warnings.append(warning) }
        case .tablesFinished(let finish):
            tables = finish
        case .targetAccepted(let disk):
            serial = disk.serial
        case .progress, .injected:
            break
        }
    }

    /// The image was compressed: its decoded size, and a digest over the image is over those bytes.
    mutating func decoded(bytes: Int64?) {
        decodedBytes = bytes
        if checksum?.covers == "image" { checksum?.covers = "decoded" }
    }

    mutating func succeed() {
        ok = true
        exitStatus = ExitStatus.success.rawValue
    }

    mutating func fail(_ failure: EdgeFlashError) {
        ok = false
        exitStatus = failure.exitStatus.rawValue
        var offset: Int64?
        var cause = failure
        if let written = failure as? WriteFailure {
            cause = written.cause
            firstMiB = written.firstMiB == .blank ? "blank" : "not-blank"
            if let matched = written.checksumMatched { checksum?.matched(matched, compressed: decodedBytes != nil) }
        }
        switch cause {
        case let mismatch as ChecksumMismatchError:
            checksum?.mismatched(mismatch)
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
