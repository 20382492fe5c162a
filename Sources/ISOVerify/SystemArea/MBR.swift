import EdgeCore

/// The master boot record in sector 0: of an image (what `inspect` reports) or of a stick (what
/// `inject` edits). Parsed with checked reads only; serialized as the 66 bytes from offset 446 (the
/// four entries and the signature): boot code, disk signature and the 0x1B0 pointer are never
/// rewritten.
public struct MBR: Sendable, Codable, Equatable {
    public struct Partition: Sendable, Codable, Equatable {
        public var number: Int
        public var bootable: Bool
        public var status: UInt8
        public var type: UInt8
        public var startLBA: UInt32      // 512-byte sectors
        public var sectors: UInt32
        /// Start CHS (3 bytes) and end CHS (3 bytes), kept verbatim from the table they were read
        /// from; a new entry gets the LBA-only marker every modern tool writes (beyond CHS reach).
        var chs: [UInt8] = [0xFE, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF]
        public var typeName: String { MBR.typeName(type) }

        public init(number: Int, status: UInt8 = 0, type: UInt8, startLBA: UInt32, sectors: UInt32) {
            self.number = number
            self.bootable = status == 0x80
            self.status = status
            self.type = type
            self.startLBA = startLBA
            self.sectors = sectors
        }

        enum CodingKeys: String, CodingKey { case number, bootable, status, type, startLBA, sectors }
    }

    /// The first 440 bytes are not all zero: there is code for a BIOS to run.
    public var hasBootCode: Bool
    public var diskSignature: UInt32
    /// Non-empty entries only (an entry is empty when its type, start and size are all zero),
    /// numbered 1-4 as in the table, in that order.
    public var partitions: [Partition]
    /// The 32-bit value at 0x1B0 where isohybrid MBRs (isolinux: 4×LBA, GRUB: 4×LBA+4) keep the
    /// El Torito BIOS boot image's place, so the MBR code can find it on a stick.
    public var hybridBootPointer: UInt32

    public static let tableOffset = 446

    /// A table of edgeflash's own for a sector 0 that has none: no boot code, no entries.
    public init(partitions: [Partition] = []) {
        hasBootCode = false
        diskSignature = 0
        self.partitions = partitions
        hybridBootPointer = 0
    }

    /// nil when the sector has no 55 AA signature (no MBR at all).
    public static func parse(_ sector: [UInt8]) throws -> MBR? {
        let r = ByteReader(sector, structure: "MBR")
        guard r.count >= 512 else { throw EdgeError(.malformed, "MBR is truncated: the image is shorter than 512 bytes") }
        guard try r.u8(510) == 0x55, try r.u8(511) == 0xAA else { return nil }
        var partitions: [Partition] = []
        for i in 0..<4 {
            let o = tableOffset + 16 * i
            let type = try r.u8(o + 4), sectors = try r.u32le(o + 12), start = try r.u32le(o + 8)
            if type == 0 && sectors == 0 && start == 0 { continue }
            var partition = Partition(number: i + 1, status: try r.u8(o), type: type, startLBA: start, sectors: sectors)
            partition.chs = try r.slice(o + 1, 3) + r.slice(o + 5, 3)
            partitions.append(partition)
        }
        var mbr = MBR(partitions: partitions)
        mbr.hasBootCode = !(try r.isZero(0, 440))
        mbr.diskSignature = try r.u32le(440)
        mbr.hybridBootPointer = try r.u32le(0x1B0)
        return mbr
    }

    /// The lowest entry number (1-4) that holds nothing.
    public var firstFreeNumber: Int? { (1...4).first { n in !partitions.contains { $0.number == n } } }

    public var hasProtectiveEntry: Bool { partitions.contains { $0.type == 0xEE } }

    /// Puts `partition` in its numbered entry, replacing what was there.
    public mutating func place(_ partition: Partition) {
        partitions.removeAll { $0.number == partition.number }
        partitions.append(partition)
        partitions.sort { $0.number < $1.number }
    }

    /// The 66 bytes from offset 446: four entries (an empty one all zero, CHS included, as fdisk
    /// expects) and the 55 AA signature.
    public var tableBytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 66)
        for p in partitions where (1...4).contains(p.number) {
            let at = 16 * (p.number - 1)
            bytes[at] = p.status
            bytes.setBytes(at + 1, p.chs.prefix(3))
            bytes[at + 4] = p.type
            bytes.setBytes(at + 5, p.chs.dropFirst(3).prefix(3))
            bytes.setLE32(at + 8, p.startLBA)
            bytes.setLE32(at + 12, p.sectors)
        }
        bytes[64] = 0x55
        bytes[65] = 0xAA
        return bytes
    }

    /// Does the pointer at 0x1B0 point at `lba` (the El Torito BIOS image) the way isohybrid does?
    public func pointsAt(bootImageLBA lba: UInt32) -> Bool {
        let four = UInt64(lba) * 4
        return UInt64(hybridBootPointer) == four || UInt64(hybridBootPointer) == four + 4
    }

    static func typeName(_ type: UInt8) -> String {
        switch type {
        case 0x00: return "empty"
        case 0x01, 0x04, 0x06, 0x0E: return "FAT"
        case 0x0B, 0x0C: return "FAT32"
        case 0x07: return "NTFS/exFAT"
        case 0x17: return "hidden NTFS (isohybrid)"
        case 0x83: return "Linux"
        case 0x96: return "ISO 9660 (CHRP)"
        case 0xCD: return "ISO 9660 (GRUB hybrid)"
        case 0xEE: return "GPT protective"
        case 0xEF: return "EFI system"
        default: return "type 0x" + String(type, radix: 16)
        }
    }
}
