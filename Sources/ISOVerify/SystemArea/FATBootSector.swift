/// Recognises a FAT boot sector (the start of an EFI system partition or El Torito EFI image) and
/// reads the volume size from its BPB, so "the firmware can reach a FAT filesystem" is checked on
/// the bytes, not assumed from a partition type.
public struct FATBootSector: Sendable, Codable, Equatable {
    public var bytesPerSector: UInt16
    public var totalSectors: UInt32
    public var label: String
    public var totalBytes: Int64 { Int64(bytesPerSector) * Int64(totalSectors) }

    /// nil when `sector` is not a plausible FAT boot sector.
    public static func parse(_ sector: [UInt8]) -> FATBootSector? {
        let r = ByteReader(sector, structure: "FAT boot sector")
        guard let sig0 = try? r.u8(510), let sig1 = try? r.u8(511), sig0 == 0x55, sig1 == 0xAA,
              let bps = try? r.u16le(11), [512, 1024, 2048, 4096].contains(bps),
              let spc = try? r.u8(13), spc != 0, spc.nonzeroBitCount == 1,
              let reserved = try? r.u16le(14), reserved >= 1,
              let fats = try? r.u8(16), (1...2).contains(fats),
              let small = try? r.u16le(19), let large = try? r.u32le(32) else { return nil }
        let total = small != 0 ? UInt32(small) : large
        guard total > 0 else { return nil }
        // FAT32 keeps the label at 71, FAT12/16 at 43 (after a 0x29 extended boot signature).
        let isFAT32 = (try? r.u16le(22)) == 0
        let labelOffset = isFAT32 ? 71 : 43
        let label = (try? r.ascii(labelOffset, 11)) ?? ""
        return FATBootSector(bytesPerSector: bps, totalSectors: total, label: label)
    }
}
