// CONTRACT STUB (lead): the ISOVerify helper implements parsing and discovery; keep these names.
import Foundation

public enum HashAlgorithm: String, Sendable, Codable {
    case sha256, sha512
}

/// A checksum the image is expected to have, and where it came from.
public struct ExpectedChecksum: Sendable, Codable, Equatable {
    public var algorithm: HashAlgorithm
    public var hex: String            // lowercase
    public var source: String         // "palette-edge-installer.iso.sha256", "--sha256", ...

    public init(algorithm: HashAlgorithm, hex: String, source: String) {
        self.algorithm = algorithm
        self.hex = hex.lowercased()
        self.source = source
    }
}

public enum ChecksumDiscovery {
    /// Looks beside the image for IMAGE.sha256, IMAGE.sha512, SHA256SUMS, SHA512SUMS and returns the
    /// entry for the image's file name; nil when none is found (the caller says "unverified").
    public static func find(forImage image: URL) throws -> ExpectedChecksum? {
        nil
    }
}
