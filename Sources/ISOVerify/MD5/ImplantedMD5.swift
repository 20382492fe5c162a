import Crypto
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
            throw ISOVerifyError("implanted MD5 in the primary volume descriptor is malformed (ISO MD5SUM is not 32 hex digits)")
        }
        guard let skip = Int(fields["SKIPSECTORS"] ?? "0"), (0...1_000_000).contains(skip) else {
            throw ISOVerifyError("implanted MD5 in the primary volume descriptor has a malformed SKIPSECTORS")
        }
        return ImplantedMD5(md5: md5.lowercased(), skipSectors: skip,
                            fragmentCount: fields["FRAGMENT COUNT"].flatMap { Int($0) },
                            supportedMedia: fields["RHLISOSTATUS"] == "1")
    }

    /// Hashes the image the way checkisomd5 does; returns the computed MD5 (lowercase hex).
    public func compute(_ file: ReadOnlyFile, volumeBytes: Int64, progress: ((Int64) -> Void)? = nil) throws -> String {
        let end = volumeBytes - Int64(skipSectors) * 2048
        guard end > 0 else { throw ISOVerifyError("implanted MD5 skips more sectors than the volume has") }
        guard end <= file.size else {
            throw ISOVerifyError("image is truncated: the implanted MD5 covers \(end) bytes, the file has \(file.size)")
        }
        file.adviseSequential()
        var md5 = Insecure.MD5()
        let blank = Self.applicationUseOffset..<(Self.applicationUseOffset + Int64(Self.applicationUseLength))
        var offset: Int64 = 0
        try file.forEachChunk(in: 0..<end) { chunk in
            let range = offset..<(offset + Int64(chunk.count))
            if range.overlaps(blank) {
                var copy = [UInt8](chunk)
                let lo = Int(max(blank.lowerBound, range.lowerBound) - offset)
                let hi = Int(min(blank.upperBound, range.upperBound) - offset)
                for i in lo..<hi { copy[i] = 0x20 }
                copy.withUnsafeBytes { md5.update(bufferPointer: $0) }
            } else {
                md5.update(bufferPointer: chunk)
            }
            offset += Int64(chunk.count)
            progress?(offset)
        }
        return Hex.encode(md5.finalize())
    }
}
