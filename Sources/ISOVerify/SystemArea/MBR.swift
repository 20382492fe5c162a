import EdgeCore

/// The master boot record in the first 512 bytes of a hybrid ISO.
public struct MBR: Sendable, Codable, Equatable {
    public struct Partition: Sendable, Codable, Equatable {
        public var number: Int
        public var bootable: Bool
        public var status: UInt8
        public var type: UInt8
        public var startLBA: UInt32      // 512-byte sectors
        public var sectors: UInt32
        public var typeName: String { MBR.typeName(type) }
    }

    /// The first 440 bytes are not all zero: there is code for a BIOS to run.
    public var hasBootCode: Bool
    public var diskSignature: UInt32
    /// Non-empty entries only, numbered 1-4 as in the table.
    public var partitions: [Partition]
    /// The 32-bit value at 0x1B0 where isohybrid MBRs (isolinux: 4×LBA, GRUB: 4×LBA+4) keep the
    /// El Torito BIOS boot image's place, so the MBR code can find it on a stick.
    public var hybridBootPointer: UInt32

    /// nil when the sector has no 55 AA signature (no MBR at all).
    public static func parse(_ sector: [UInt8]) throws -> MBR? {
        let r = ByteReader(sector, structure: "MBR")
        guard r.count >= 512 else { throw EdgeError(.malformed, "MBR is truncated: the image is shorter than 512 bytes") }
        guard try r.u8(510) == 0x55, try r.u8(511) == 0xAA else { return nil }
        var partitions: [Partition] = []
        for i in 0..<4 {
            let o = 446 + 16 * i
            let type = try r.u8(o + 4), sectors = try r.u32le(o + 12), start = try r.u32le(o + 8)
            if type == 0 && sectors == 0 && start == 0 { continue }
            let status = try r.u8(o)
            partitions.append(Partition(number: i + 1, bootable: status == 0x80, status: status, type: type,
                                        startLBA: start, sectors: sectors))
        }
        return MBR(hasBootCode: !(try r.isZero(0, 440)), diskSignature: try r.u32le(440),
                   partitions: partitions, hybridBootPointer: try r.u32le(0x1B0))
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
