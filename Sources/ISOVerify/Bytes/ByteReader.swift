import EdgeCore

/// Bounds-checked little/big-endian reads over a structure's bytes. Every read past the end throws
/// an `EdgeError` naming the structure, so hostile or truncated input is a precise error,
/// never a crash. Its writing half is the `setLE…` extension below.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    /// What these bytes are ("primary volume descriptor", "GPT header"), for error messages.
    public let structure: String

    public init(_ bytes: [UInt8], structure: String) {
        self.bytes = bytes
        self.structure = structure
    }

    public var count: Int { bytes.count }

    private func check(_ offset: Int, _ length: Int) throws {
        guard offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else {
            throw EdgeError(.malformed, "\(structure) is truncated: needs bytes \(offset)..<\(offset + length) but has \(bytes.count)")
        }
    }

    public func u8(_ offset: Int) throws -> UInt8 {
        try check(offset, 1)
        return bytes[offset]
    }

    public func u16le(_ offset: Int) throws -> UInt16 {
        try check(offset, 2)
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    public func u16be(_ offset: Int) throws -> UInt16 {
        try check(offset, 2)
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public func u32le(_ offset: Int) throws -> UInt32 {
        try check(offset, 4)
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    public func u32be(_ offset: Int) throws -> UInt32 {
        try check(offset, 4)
        return (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }

    public func u64le(_ offset: Int) throws -> UInt64 {
        try check(offset, 8)
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
    }

    public func slice(_ offset: Int, _ length: Int) throws -> [UInt8] {
        try check(offset, length)
        return Array(bytes[offset..<offset + length])
    }

    /// A space/NUL padded ASCII field; non-printable bytes become '?' so output stays one line.
    public func ascii(_ offset: Int, _ length: Int) throws -> String {
        let raw = try slice(offset, length)
        let printable = raw.map { (0x20..<0x7f).contains($0) ? $0 : ($0 == 0 ? 0x20 : UInt8(ascii: "?")) }
        return String(decoding: printable, as: UTF8.self).trimmingSpaces()
    }

    /// A UCS-2/UTF-16 big-endian field (Joliet), trailing spaces and NULs trimmed.
    public func utf16be(_ offset: Int, _ length: Int) throws -> String {
        let raw = try slice(offset, length)
        let units = stride(from: 0, to: raw.count - 1, by: 2).map { UInt16(raw[$0]) << 8 | UInt16(raw[$0 + 1]) }
        return String(decoding: units.filter { $0 != 0 }, as: UTF16.self).trimmingSpaces()
    }

    /// A UTF-16 little-endian field (GPT partition names), up to the first NUL.
    public func utf16le(_ offset: Int, _ length: Int) throws -> String {
        let raw = try slice(offset, length)
        let units = stride(from: 0, to: raw.count - 1, by: 2).map { UInt16(raw[$0]) | UInt16(raw[$0 + 1]) << 8 }
        return String(decoding: units.prefix { $0 != 0 }, as: UTF16.self)
    }

    public func isZero(_ offset: Int, _ length: Int) throws -> Bool {
        try slice(offset, length).allSatisfy { $0 == 0 }
    }
}

/// Little-endian fields written in place, for the structures edgeflash serializes (MBR, GPT, FAT).
/// They write into buffers the serializer sized itself, never at offsets read from input: an index
/// out of range here is a bug in edgeflash, so it traps rather than throws.
extension Array where Element == UInt8 {
    public mutating func setLE16(_ at: Int, _ value: UInt16) { setLE(at, UInt64(value), bytes: 2) }
    public mutating func setLE32(_ at: Int, _ value: UInt32) { setLE(at, UInt64(value), bytes: 4) }
    public mutating func setLE64(_ at: Int, _ value: UInt64) { setLE(at, value, bytes: 8) }
    public mutating func setBytes(_ at: Int, _ bytes: some Collection<UInt8>) { replaceSubrange(at..<(at + bytes.count), with: bytes) }

    private mutating func setLE(_ at: Int, _ value: UInt64, bytes: Int) {
        for i in 0..<bytes { self[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let c = s.last, c == " " { s = s.dropLast() }
        while let c = s.first, c == " " { s = s.dropFirst() }
        return String(s)
    }
}
