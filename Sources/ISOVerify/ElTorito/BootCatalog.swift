import EdgeCore

/// The El Torito boot catalog: a validation entry (with a checksum), a default entry, then
/// section headers each followed by their entries. Pure: parses the catalog's bytes.
public struct BootCatalog: Sendable, Codable, Equatable {
    public enum Platform: String, Sendable, Codable {
        case x86BIOS = "x86 BIOS", powerPC = "PowerPC", mac = "Mac", uefi = "UEFI", unknown

        init(id: UInt8) {
            switch id {
            case 0: self = .x86BIOS
            case 1: self = .powerPC
            case 2: self = .mac
            case 0xEF: self = .uefi
            default: self = .unknown
            }
        }
    }

    public enum Emulation: String, Sendable, Codable {
        case none = "no emulation", floppy12 = "1.2M floppy", floppy144 = "1.44M floppy",
             floppy288 = "2.88M floppy", hardDisk = "hard disk", unknown
    }

    public struct Entry: Sendable, Codable, Equatable {
        public var index: Int              // 1 = the default entry
        public var platform: Platform
        public var platformID: UInt8
        public var bootable: Bool
        public var emulation: Emulation
        public var loadSegment: UInt16
        public var systemType: UInt8
        /// Sectors of 512 bytes to load (the "load size"); 0 or 1 often stand for "the whole image".
        public var loadSectors: UInt16
        /// ISO block (2048 bytes) where the boot image starts.
        public var loadLBA: UInt32
    }

    public var sector: UInt32
    public var validationPlatform: Platform
    public var idString: String
    public var entries: [Entry]

    /// The catalog is at most this many bytes (32 sectors, 2048 entries): a header claiming more
    /// entries than fit is an error, and no input makes the parser loop or allocate beyond it.
    public static let maximumBytes = 32 * 2048

    /// Parses a catalog from `bytes` (read at `sector`, up to `maximumBytes`).
    public static func parse(_ bytes: [UInt8], sector: UInt32) throws -> BootCatalog {
        let r = ByteReader(Array(bytes.prefix(maximumBytes)), structure: "El Torito boot catalog at sector \(sector)")
        guard try r.u8(0) == 1 else {
            throw EdgeError(.malformed, "\(r.structure): validation entry header is \(try r.u8(0)), expected 1")
        }
        guard try r.u8(30) == 0x55, try r.u8(31) == 0xAA else {
            throw EdgeError(.malformed, "\(r.structure): validation entry lacks its 55 AA key bytes")
        }
        var sum: UInt16 = 0
        for i in stride(from: 0, to: 32, by: 2) { sum &+= try r.u16le(i) }
        guard sum == 0 else {
            throw EdgeError(.malformed, "\(r.structure): validation entry checksum is wrong (words sum to 0x\(String(sum, radix: 16)), not 0)")
        }
        let platformID = try r.u8(1)
        var entries = [try entry(r, at: 32, index: 1, platformID: platformID)]
        var offset = 64
        var sawFinal = false
        while !sawFinal, offset + 32 <= r.count {
            let indicator = try r.u8(offset)
            guard indicator == 0x90 || indicator == 0x91 else { break } // end of catalog (zeros or padding)
            sawFinal = indicator == 0x91
            let sectionPlatform = try r.u8(offset + 1)
            let count = Int(try r.u16le(offset + 2))
            let headerOffset = offset
            offset += 32
            var seen = 0
            while seen < count {
                guard offset + 32 <= r.count else {
                    throw EdgeError(.malformed, "\(r.structure): section header at byte \(headerOffset) declares \(count) entries but the catalog ends after \(seen)")
                }
                if try r.u8(offset) == 0x44 { offset += 32; continue } // extension entry, belongs to the previous entry
                entries.append(try entry(r, at: offset, index: entries.count + 1, platformID: sectionPlatform))
                seen += 1
                offset += 32
            }
            while offset + 32 <= r.count, try r.u8(offset) == 0x44 { offset += 32 }
        }
        return BootCatalog(sector: sector, validationPlatform: Platform(id: platformID),
                           idString: try r.ascii(4, 24), entries: entries)
    }

    static func entry(_ r: ByteReader, at o: Int, index: Int, platformID: UInt8) throws -> Entry {
        let indicator = try r.u8(o)
        guard indicator == 0x88 || indicator == 0x00 else {
            throw EdgeError(.malformed, "\(r.structure): entry \(index) has boot indicator 0x\(String(indicator, radix: 16)), expected 0x88 or 0x00")
        }
        let media = try r.u8(o + 1) & 0x0F
        let kinds: [Emulation] = [.none, .floppy12, .floppy144, .floppy288, .hardDisk]
        let emulation = Int(media) < kinds.count ? kinds[Int(media)] : .unknown
        return Entry(index: index, platform: Platform(id: platformID), platformID: platformID,
                     bootable: indicator == 0x88, emulation: emulation, loadSegment: try r.u16le(o + 2),
                     systemType: try r.u8(o + 4), loadSectors: try r.u16le(o + 6), loadLBA: try r.u32le(o + 8))
    }
}
