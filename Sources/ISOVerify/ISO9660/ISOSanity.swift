import EdgeCore
import Foundation

/// The quick whole-image check `verify` and `write` run: is there an ISO 9660 volume, what is it
/// called, and is the file as long as the volume says (a truncated download is named as such)?
///
/// Reads only the descriptor set (a few KiB at 32 KiB); never the whole image.
public struct ISOSanity: Sendable, Codable, Equatable {
    public enum Verdict: String, Sendable, Codable {
        /// The file holds the whole volume (and maybe more: appended partitions, padding).
        case whole
        /// The file ends before the volume does.
        case truncated
    }

    public var fileSize: Int64
    public var volumeID: String
    public var volumeBytes: Int64
    public var verdict: Verdict
    /// Bytes after the volume (appended partitions, padding); 0 when truncated.
    public var trailingBytes: Int64
    /// Bytes missing at the end; 0 when whole.
    public var missingBytes: Int64
    public var descriptors: VolumeDescriptorSet

    /// The truncation as a user error, nil when the image is whole.
    public var problem: EdgeError? {
        guard verdict == .truncated else { return nil }
        return EdgeError(.malformed, "image is truncated: the ISO volume '\(volumeID)' declares \(volumeBytes) bytes but the file has \(fileSize) (\(missingBytes) missing)",
                         hint: "download the image again; a partial download will not boot")
    }

    /// Checks the image at `image`. Throws `EdgeError` when it cannot be read or has no ISO 9660
    /// primary volume descriptor (a raw disk image, a corrupt download).
    public static func check(image: URL) throws -> ISOSanity {
        try check(try ReadOnlyFile(path: image.path))
    }

    public static func check(_ file: ReadOnlyFile) throws -> ISOSanity {
        let set = try VolumeDescriptorSet.parse { index in
            try file.read(offset: Int64(index) * Int64(ISO9660.sectorSize), count: ISO9660.sectorSize)
        }
        return assess(set, fileSize: file.size)
    }

    public static func assess(_ set: VolumeDescriptorSet, fileSize: Int64) -> ISOSanity {
        let volume = set.volumeBytes
        let truncated = fileSize < volume
        return ISOSanity(fileSize: fileSize, volumeID: set.primary.volumeID, volumeBytes: volume,
                         verdict: truncated ? .truncated : .whole,
                         trailingBytes: truncated ? 0 : fileSize - volume,
                         missingBytes: truncated ? volume - fileSize : 0, descriptors: set)
    }
}
