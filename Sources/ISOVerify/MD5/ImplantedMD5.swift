import EdgeCore
import Foundation

/// The MD5 that `implantisomd5` writes into the primary volume descriptor's application-use area
/// (isomd5sum convention), and its check, compatible with `checkisomd5`: MD5 over the volume
/// minus SKIPSECTORS, with the 512-byte application-use area read as spaces.
public struct ImplantedMD5: Sendable, Codable, Equatable {
    public var md5: String
    public var skipSectors: Int
    public var fragmentCount: Int?
    public var supportedMedia: Bool

    /// Absolute byte offset of the application-use area (PVD at 32 KiB + 883).
    public static let applicationUseOffset: Int64 = 16 * 2048 + 883
    public static let applicationUseLength = 512

    /// How many bytes from the image's start the MD5 covers in a volume of `volumeBytes`: the
    /// volume minus SKIPSECTORS.
    public func coveredBytes(volumeBytes: Int64) throws -> Int64 {
        let end = volumeBytes - Int64(skipSectors) * 2048
        guard end > 0 else { throw EdgeError(.malformed, "implanted MD5 skips more sectors than the volume has") }
        return end
    }

    /// The checksum `write` and `verify` check when no checksum file or flag gives one.
    public func expected(volumeBytes: Int64) throws -> ExpectedChecksum {
        ExpectedChecksum(algorithm: .md5, hex: md5, source: "implanted MD5",
                         implantedMD5Length: try coveredBytes(volumeBytes: volumeBytes))
    }

    /// nil when the area holds no "ISO MD5SUM = " field; throws when it holds a malformed one.
    public static func parse(applicationUse: [UInt8]) throws -> ImplantedMD5? {
        let text = String(decoding: applicationUse.prefix { $0 != 0 }, as: UTF8.self)
        guard text.contains("ISO MD5SUM = ") else { return nil }
        var fields: [String: String] = [:]
        for part in text.split(separator: ";") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            fields[part[..<eq].trimmingCharacters(in: .whitespaces)] = part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        guard let md5 = fields["ISO MD5SUM"], md5.count == 32, md5.allSatisfy(\.isHexDigit) else {
            throw EdgeError(.malformed, "implanted MD5 in the primary volume descriptor is malformed (ISO MD5SUM is not 32 hex digits)")
        }
        guard let skip = Int(fields["SKIPSECTORS"] ?? "0"), (0...1_000_000).contains(skip) else {
            throw EdgeError(.malformed, "implanted MD5 in the primary volume descriptor has a malformed SKIPSECTORS")
        }
        return ImplantedMD5(md5: md5.lowercased(), skipSectors: skip,
                            fragmentCount: fields["FRAGMENT COUNT"].flatMap { Int($0) },
                            supportedMedia: fields["RHLISOSTATUS"] == "1")
    }
}
