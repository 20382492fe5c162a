import EdgeCore
import Foundation

/// One line of the flash log: what one write, inject or station run did to one stick. Names,
/// sizes, hashes and the result; never a user-data value (the site's data is named by its hash).
/// The JSON form is documented in docs/flash-log.md.
public struct FlashRecord: Codable, Sendable, Equatable {
    public enum Operation: String, Codable, Sendable { case write, inject, station }

    /// UTC, ISO 8601 with seconds: "2026-11-30T06:12:03Z".
    public var time: String
    public var version: String
    public var operation: Operation
    /// The image's file name (no directory), its size and SHA-256, when the operation wrote one.
    public var image: String?
    public var imageSize: Int64?
    public var imageSHA256: String?
    /// A write that followed a bmap: the ranges it wrote and their digest (the rest of the stick
    /// kept what it held, so the whole image's SHA-256 does not name what the stick holds).
    public var mapped: MappedRanges?
    /// The disk written: its own path, also when a link to it was given (`givenPath`).
    public var device: String
    /// The path given on the command line when it is another name for `device` (a
    /// /dev/disk/by-id or by-path link); nil when the disk was named by its own path.
    public var givenPath: String?
    public var model: String?
    public var serial: String?
    public var deviceSize: Int64?
    public var transport: String?
    public var site: String?
    public var userDataSHA256: String?
    public var instanceID: String?
    /// "ok", or the error's code: "io", "mismatch", "refused", "interrupted"... (a typed error, such
    /// as a refusal or a failed write, by the code of its exit status).
    public var result: String
    public var exitStatus: Int32
    /// The error's message (already scrubbed of secrets); nil when it succeeded.
    public var message: String?
    public var seconds: Double

    public var succeeded: Bool { result == "ok" }

    public init(time: Date = Date(), version: String, operation: Operation, device: String, failure: (any EdgeFlashError)?, seconds: Double) {
        self.time = Self.timestamp(time)
        self.version = version
        self.operation = operation
        self.device = device
        if let failure {
            result = Self.code(of: failure).name
            exitStatus = failure.exitStatus.rawValue
            message = failure.message
        } else {
            result = "ok"
            exitStatus = 0
        }
        self.seconds = (seconds * 1000).rounded() / 1000
    }

    /// Fills the disk's fields from what the inventory knew of it.
    public mutating func describe(_ disk: Disk) {
        model = [disk.vendor, disk.model].compactMap { $0 }.joined(separator: " ").nilIfEmpty
        serial = disk.serial
        deviceSize = disk.size
        transport = disk.transport
    }

    /// The error's code when it is one of the standard ones, else the standard code of its exit status.
    static func code(of failure: any EdgeFlashError) -> EdgeError.Code {
        let standard: [EdgeError.Code] = [.malformed, .io, .refused, .mismatch, .interrupted, .notConfirmed, .usage, .failure, .unavailable]
        if let code = (failure as? EdgeError)?.code, standard.contains(code) { return code }
        return standard.first { $0.exitStatus == failure.exitStatus } ?? .failure
    }

    /// Fills the image's fields: its file name (not its directory), size and SHA-256.
    public mutating func describeImage(path: String, size: Int64?, sha256: String?) {
        image = URL(fileURLWithPath: path).lastPathComponent
        imageSize = size
        imageSHA256 = sha256
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
