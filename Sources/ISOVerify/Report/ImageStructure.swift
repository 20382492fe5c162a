import EdgeCore
import Foundation

/// Everything `inspect` learns from an image's structures (no full read): descriptors, boot catalog,
/// EFI boot images, system area. Each part that fails to parse is recorded as a precise error for
/// its own line, and the rest is still read.
public struct ImageStructure: Sendable, Codable {
    public struct EFIBootImage: Sendable, Codable, Equatable {
        public var entry: Int
        public var lba: UInt32
        public var sizeBytes: Int64
        /// nil when the bytes at `lba` are not a FAT boot sector.
        public var fat: FATBootSector?
        /// Inside the ISO 9660 volume, or after it (an appended partition).
        public var insideVolume: Bool
        public var insideFile: Bool
        /// The `EFI/BOOT/BOOT*.EFI` files inside; nil when the FAT could not be read.
        public var loaders: [EFIBootLoaders.Loader]?
    }

    /// A partition (from the MBR or the GPT) whose first sector is a FAT boot sector.
    public struct FATPartition: Sendable, Codable, Equatable {
        public var table: String       // "MBR" or "GPT"
        public var number: Int
        public var typeName: String
        public var isEFISystem: Bool
        public var startByte: Int64
        public var fat: FATBootSector
        /// The `EFI/BOOT/BOOT*.EFI` files inside; nil when the FAT could not be read.
        public var loaders: [EFIBootLoaders.Loader]?
    }

    public var path: String
    public var fileSize: Int64
    public var sanity: ISOSanity?
    public var bootCatalog: BootCatalog?
    public var efiBootImages: [EFIBootImage] = []
    public var mbr: MBR?
    public var gpt: GPT?
    public var apm: APM?
    public var fatPartitions: [FATPartition] = []
    /// Parse errors by part: "volume", "boot catalog", "MBR", "GPT", "APM".
    public var errors: [String: String] = [:]

    public var verdict: BootVerdict { BootVerdict.derive(from: self) }

    /// Reads through `read(offset, count)` only: the fuzz tests feed it hostile bytes this way.
    public static func read(size: Int64, path: String, read: (Int64, Int) throws -> [UInt8]) throws -> ImageStructure {
        var s = ImageStructure(path: path, fileSize: size)
        do {
            let set = try VolumeDescriptorSet.parse { try read(Int64($0) * Int64(ISO9660.sectorSize), ISO9660.sectorSize) }
            s.sanity = ISOSanity.assess(set, fileSize: size)
        } catch let error as EdgeError where error.code == .malformed {
            s.errors["volume"] = error.message
        }
        if let catalogSector = s.sanity?.descriptors.bootCatalogSector {
            do {
                let offset = Int64(catalogSector) * Int64(ISO9660.sectorSize)
                guard offset < size else {
                    throw EdgeError(.malformed, "El Torito boot catalog at sector \(catalogSector) lies past the end of the image")
                }
                let catalog = try BootCatalog.parse(read(offset, BootCatalog.maximumBytes), sector: catalogSector)
                s.bootCatalog = catalog
                s.efiBootImages = try catalog.entries.filter { $0.platform == .uefi }.map { entry in
                    try efiImage(entry, size: size, volumeBytes: s.sanity?.volumeBytes ?? 0, read: read)
                }
            } catch let error as EdgeError where error.code == .malformed {
                s.errors["boot catalog"] = error.message
            }
        }
        let systemArea = try read(0, 32 * 1024)
        do { s.mbr = try MBR.parse(Array(systemArea.prefix(512))) } catch let e as EdgeError { s.errors["MBR"] = e.message }
        // The GPT in the sectors it was made for: its header at byte 512 (an installer image's), or
        // at byte 4096 (a disk image made for a 4Kn disk).
        do {
            let sector = try GPT.headerSectorSize(read) ?? 512
            s.gpt = try GPT.parse(header: read(Int64(sector), sector), sectorSize: sector, imageSize: size, read: read)
        } catch let e as EdgeError where e.code == .malformed { s.errors["GPT"] = e.message }
        do { s.apm = try APM.parse(systemArea: systemArea) } catch let e as EdgeError { s.errors["APM"] = e.message }
        s.fatPartitions = try fatPartitions(mbr: s.mbr, gpt: s.gpt, size: size, read: read)
        return s
    }

    static func efiImage(_ entry: BootCatalog.Entry, size: Int64, volumeBytes: Int64,
                         read: (Int64, Int) throws -> [UInt8]) throws -> EFIBootImage {
        let offset = Int64(entry.loadLBA) * Int64(ISO9660.sectorSize)
        let fat = offset < size ? FATBootSector.parse(try read(offset, 512)) : nil
        // A load size of 0 or 1 sectors means "as large as the FAT image says" (it exceeds 16 bits).
        let bytes = entry.loadSectors > 1 ? Int64(entry.loadSectors) * 512 : (fat?.totalBytes ?? 0)
        let insideFile = offset + bytes <= size
        return EFIBootImage(entry: entry.index, lba: entry.loadLBA, sizeBytes: bytes, fat: fat,
                            insideVolume: offset + bytes <= volumeBytes, insideFile: insideFile,
                            loaders: fat != nil && insideFile ? loaders(at: offset, read: read) : nil)
    }

    /// The boot loaders of the FAT filesystem at `offset`; nil when its directories cannot be read
    /// (a damaged FAT is reported by the verdict as unknown, not as a crash).
    static func loaders(at offset: Int64, read: (Int64, Int) throws -> [UInt8]) -> [EFIBootLoaders.Loader]? {
        try? EFIBootLoaders.find(read: { try read(offset + $0, $1) }).loaders
    }

    static func fatPartitions(mbr: MBR?, gpt: GPT?, size: Int64,
                              read: (Int64, Int) throws -> [UInt8]) throws -> [FATPartition] {
        // Each table's sectors: the GPT's own size, 512 for the MBR.
        var candidates: [(table: String, number: Int, type: String, esp: Bool, start: UInt64, sector: Int)] = []
        for p in gpt?.partitions ?? [] { candidates.append(("GPT", p.number, p.typeName, p.isEFISystem, p.firstLBA, gpt!.sectorSize)) }
        for p in mbr?.partitions ?? [] where p.type != 0xEE {
            candidates.append(("MBR", p.number, p.typeName, p.type == 0xEF, UInt64(p.startLBA), 512))
        }
        var found: [FATPartition] = []
        for c in candidates where c.start > 0 && c.start < UInt64(size / Int64(c.sector)) {
            let byte = Int64(c.start) * Int64(c.sector)
            if let fat = FATBootSector.parse(try read(byte, 512)) {
                found.append(FATPartition(table: c.table, number: c.number, typeName: c.type, isEFISystem: c.esp, startByte: byte,
                                          fat: fat, loaders: loaders(at: byte, read: read)))
            }
        }
        return found
    }
}
