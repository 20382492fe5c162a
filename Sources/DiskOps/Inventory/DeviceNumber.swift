/// A block device's major:minor, as sysfs `dev` files, mountinfo and stat(2) give it.
/// Encoded in JSON as the string "8:16", like lsblk's MAJ:MIN.
public struct DeviceNumber: Sendable, Hashable, Codable, CustomStringConvertible {
    public var major: UInt32
    public var minor: UInt32

    public init(major: UInt32, minor: UInt32) {
        self.major = major
        self.minor = minor
    }

    /// Parses "8:16" (surrounding whitespace allowed).
    public init?(_ text: some StringProtocol) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":")
        guard parts.count == 2, let major = UInt32(parts[0]), let minor = UInt32(parts[1]) else { return nil }
        self.init(major: major, minor: minor)
    }

    /// Splits a dev_t as glibc's gnu_dev_major/minor do.
    public init(rawDevice dev: UInt64) {
        let major = ((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0x0000_0fff)
        let minor = ((dev >> 12) & 0xffff_ff00) | (dev & 0x0000_00ff)
        self.init(major: UInt32(major), minor: UInt32(minor))
    }

    public var description: String { "\(major):\(minor)" }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = DeviceNumber(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a major:minor pair: \(text)"))
        }
        self = parsed
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

import Foundation
