import EdgeCore

/// ISO 9660 volume descriptors: the set that starts at sector 16 (32 KiB) and ends with a
/// terminator. Pure: parses bytes given to it.
public enum ISO9660 {
    public static let sectorSize = 2048
    public static let firstDescriptorOffset: Int64 = 16 * 2048
    /// A real set has 3-6 descriptors; more than this without a terminator is not one.
    public static let maximumDescriptors = 64
}

/// Primary (type 1) or supplementary (type 2, Joliet when its escape sequences say UCS-2).
public struct VolumeDescriptor: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case primary, supplementary, bootRecord, partition, terminator, unknown }

    public var kind: Kind
    public var sector: Int
    public var isJoliet: Bool
    public var systemID: String
    public var volumeID: String
    public var volumeSpaceSize: UInt32        // in logical blocks
    public var logicalBlockSize: UInt16
    public var publisherID: String
    public var dataPreparerID: String
    public var applicationID: String
    /// ISO 8601 when the field is set, nil when it is all zeros/blank.
    public var creationDate: String?
    /// Problems that do not stop parsing (both-endian halves that disagree...).
    public var warnings: [String]
}

/// The descriptor set as found on the image.
public struct VolumeDescriptorSet: Sendable, Codable, Equatable {
    public var primary: VolumeDescriptor
    public var supplementary: [VolumeDescriptor]
    /// The El Torito boot record's catalog sector, when a boot record says "EL TORITO SPECIFICATION".
    public var bootCatalogSector: UInt32?
    public var terminatorSector: Int?
    /// Raw application-use area of the primary descriptor (512 bytes; implanted MD5 lives here).
    public var primaryApplicationUse: [UInt8]

    public var joliet: VolumeDescriptor? { supplementary.first { $0.isJoliet } }
    public var volumeBytes: Int64 { Int64(primary.volumeSpaceSize) * Int64(primary.logicalBlockSize) }

    /// Parses descriptors from consecutive 2048-byte sectors read by `sector(n)` (n from 16),
    /// stopping at the terminator, after `ISO9660.maximumDescriptors`, or at a non-descriptor.
    public static func parse(sector: (Int) throws -> [UInt8]) throws -> VolumeDescriptorSet {
        var primary: VolumeDescriptor?
        var applicationUse: [UInt8] = []
        var supplementary: [VolumeDescriptor] = []
        var catalog: UInt32?
        var terminator: Int?
        for index in 16..<(16 + ISO9660.maximumDescriptors) {
            let bytes = try sector(index)
            if bytes.isEmpty {
                if primary == nil { throw EdgeError(.malformed, "no ISO 9660 volume descriptor at 32 KiB: the file ends before it") }
                break
            }
            let reader = ByteReader(bytes, structure: "volume descriptor at sector \(index)")
            guard try reader.slice(1, 5) == Array("CD001".utf8) else {
                if primary == nil {
                    throw EdgeError(.malformed, "no ISO 9660 volume descriptor at 32 KiB (no CD001 signature): not an ISO image",
                                    hint: "a raw disk image can still be written, but inspect reads only ISO 9660")
                }
                break // a set without terminator; reported below
            }
            let type = try reader.u8(0)
            switch type {
            case 0:
                if try reader.ascii(7, 32) == "EL TORITO SPECIFICATION" { catalog = try reader.u32le(71) }
            case 1:
                if primary == nil {
                    primary = try parseVolume(reader, kind: .primary, sector: index)
                    applicationUse = try reader.slice(883, 512)
                }
            case 2:
                supplementary.append(try parseVolume(reader, kind: .supplementary, sector: index))
            case 255:
                terminator = index
            default:
                break
            }
            if terminator != nil { break }
        }
        guard let primary else {
            throw EdgeError(.malformed, "the ISO 9660 descriptor set has no primary volume descriptor")
        }
        return VolumeDescriptorSet(primary: primary, supplementary: supplementary, bootCatalogSector: catalog,
                                   terminatorSector: terminator, primaryApplicationUse: applicationUse)
    }

    static func parseVolume(_ r: ByteReader, kind: VolumeDescriptor.Kind, sector: Int) throws -> VolumeDescriptor {
        var warnings: [String] = []
        let escapes = try r.slice(88, 32)
        let joliet = kind == .supplementary && escapes.count >= 3 && escapes[0] == 0x25 && escapes[1] == 0x2F
            && [0x40, 0x43, 0x45].contains(escapes[2])
        let text = { (offset: Int, length: Int) throws -> String in
            joliet ? try r.utf16be(offset, length) : try r.ascii(offset, length)
        }
        let sizeLE = try r.u32le(80), sizeBE = try r.u32be(84)
        if sizeLE != sizeBE { warnings.append("volume space size halves disagree (LE \(sizeLE), BE \(sizeBE))") }
        let blockLE = try r.u16le(128), blockBE = try r.u16be(130)
        if blockLE != blockBE { warnings.append("logical block size halves disagree (LE \(blockLE), BE \(blockBE))") }
        guard blockLE == 2048 else {
            throw EdgeError(.malformed, "\(r.structure) declares logical blocks of \(blockLE) bytes; only 2048 is supported")
        }
        return VolumeDescriptor(
            kind: kind, sector: sector, isJoliet: joliet,
            systemID: try text(8, 32), volumeID: try text(40, 32),
            volumeSpaceSize: sizeLE, logicalBlockSize: blockLE,
            publisherID: try text(318, 128), dataPreparerID: try text(446, 128),
            applicationID: try text(574, 128),
            creationDate: try decimalDate(r.slice(813, 17)), warnings: warnings)
    }

    /// The 17-byte "YYYYMMDDHHMMSScc" + offset (15-minute units) date, as ISO 8601.
    static func decimalDate(_ raw: [UInt8]) -> String? {
        let digits = raw.prefix(16)
        guard digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let s = String(decoding: digits, as: UTF8.self)
        if s.allSatisfy({ $0 == "0" }) { return nil }
        let c = Array(s)
        let part = { (a: Int, b: Int) in String(c[a..<b]) }
        let quarterHours = Int(Int8(bitPattern: raw[16]))
        let sign = quarterHours < 0 ? "-" : "+"
        let minutes = abs(quarterHours) * 15
        let zone = String(format2: minutes / 60) + ":" + String(format2: minutes % 60)
        return "\(part(0, 4))-\(part(4, 6))-\(part(6, 8))T\(part(8, 10)):\(part(10, 12)):\(part(12, 14)).\(part(14, 16))\(sign)\(zone)"
    }
}

extension String {
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
