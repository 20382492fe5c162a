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

    public static func assess(_ set: VolumeDescriptorSet, fileSize: Int64) -> ISOSanity {
        let volume = set.volumeBytes
        let truncated = fileSize < volume
        return ISOSanity(fileSize: fileSize, volumeID: set.primary.volumeID, volumeBytes: volume,
                         verdict: truncated ? .truncated : .whole,
                         trailingBytes: truncated ? 0 : fileSize - volume,
                         missingBytes: truncated ? volume - fileSize : 0, descriptors: set)
    }
}
