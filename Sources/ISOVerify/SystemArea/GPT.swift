import EdgeCore

/// A GUID partition table in an ISO's system area: the primary header at LBA 1 (512-byte sectors),
/// its entry array, both CRC32s checked, and where the backup header says it lives.
public struct GPT: Sendable, Codable, Equatable {
    public struct Partition: Sendable, Codable, Equatable {
        public var number: Int
        public var typeGUID: String
        public var typeName: String
        public var uniqueGUID: String
        public var firstLBA: UInt64
        public var lastLBA: UInt64
        public var attributes: UInt64
        public var name: String
        public var sectors: UInt64 { lastLBA >= firstLBA ? lastLBA - firstLBA + 1 : 0 }
        public var isEFISystem: Bool { typeGUID == GPT.efiSystemType }
    }

    public var diskGUID: String
    public var currentLBA: UInt64
    public var backupLBA: UInt64
    public var firstUsableLBA: UInt64
    public var lastUsableLBA: UInt64
    public var entriesLBA: UInt64
    public var entryCount: UInt32
    public var entrySize: UInt32
    public var partitions: [Partition]
    /// Where the backup header sits relative to the image: at its last sector (an ISO-sized GPT,
    /// which on a bigger stick is no longer at the end of the disk), inside it, or past its end.
    public var backupPlacement: BackupPlacement
    /// The backup header was read and has a valid signature and CRC.
    public var backupValid: Bool

    public enum BackupPlacement: String, Sendable, Codable { case endOfImage = "end of image", insideImage = "inside image", pastEnd = "past end of image" }

    public static let efiSystemType = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
    /// Entry arrays larger than this (bytes) are refused: the standard is 16 KiB.
    public static let maximumEntryArrayBytes = 1 << 20

    /// Parses the GPT whose primary header is `header` (512 bytes at LBA 1); `read(offset, count)`
    /// returns image bytes for the entry array and the backup header. nil when LBA 1 has no
    /// "EFI PART" signature.
    public static func parse(header: [UInt8], imageSize: Int64,
                             read: (Int64, Int) throws -> [UInt8]) throws -> GPT? {
        let r = ByteReader(header, structure: "GPT header")
        guard r.count >= 92, try r.slice(0, 8) == Array("EFI PART".utf8) else { return nil }
        let headerSize = Int(try r.u32le(12))
        guard (92...512).contains(headerSize) else {
            throw EdgeError(.malformed, "GPT header declares a size of \(headerSize) bytes (must be 92-512)")
        }
        let stored = try r.u32le(16)
        let computed = try crcOfHeader(r, size: headerSize)
        guard stored == computed else {
            throw EdgeError(.malformed, "GPT header CRC32 is wrong (stored 0x\(hex32(stored)), computed 0x\(hex32(computed)))")
        }
        let entriesLBA = try r.u64le(72), count = try r.u32le(80), size = try r.u32le(84)
        guard size >= 128, size.nonzeroBitCount == 1 else {
            throw EdgeError(.malformed, "GPT entry size is \(size) bytes (must be 128 × a power of two)")
        }
        let arrayBytes = UInt64(count) * UInt64(size)
        guard arrayBytes <= UInt64(maximumEntryArrayBytes) else {
            throw EdgeError(.malformed, "GPT declares \(count) entries of \(size) bytes (\(arrayBytes) bytes): more than the 1 MiB allowed")
        }
        let (arrayOffset, overflow) = entriesLBA.multipliedReportingOverflow(by: 512)
        guard !overflow, arrayOffset + arrayBytes <= UInt64(imageSize) else {
            throw EdgeError(.malformed, "GPT entry array at LBA \(entriesLBA) (\(arrayBytes) bytes) points past the end of the image")
        }
        let array = try read(Int64(arrayOffset), Int(arrayBytes))
        guard array.count == Int(arrayBytes) else {
            throw EdgeError(.malformed, "GPT entry array is truncated: \(array.count) of \(arrayBytes) bytes")
        }
        let arrayCRC = CRC32.checksum(array), storedArrayCRC = try r.u32le(88)
        guard arrayCRC == storedArrayCRC else {
            throw EdgeError(.malformed, "GPT entry array CRC32 is wrong (stored 0x\(hex32(storedArrayCRC)), computed 0x\(hex32(arrayCRC)))")
        }
        let a = ByteReader(array, structure: "GPT entry array")
        var partitions: [Partition] = []
        for i in 0..<Int(count) {
            let o = i * Int(size)
            let type = try guid(a, o)
            if type == "00000000-0000-0000-0000-000000000000" { continue }
            partitions.append(Partition(number: i + 1, typeGUID: type, typeName: typeName(type),
                                        uniqueGUID: try guid(a, o + 16), firstLBA: try a.u64le(o + 32),
                                        lastLBA: try a.u64le(o + 40), attributes: try a.u64le(o + 48),
                                        name: try a.utf16le(o + 56, 72)))
        }
        let backup = try r.u64le(32)
        let lastSector = UInt64(max(imageSize / 512 - 1, 0))
        let placement: BackupPlacement = backup == lastSector ? .endOfImage : (backup < lastSector ? .insideImage : .pastEnd)
        var backupValid = false
        if placement != .pastEnd, backup <= UInt64(Int64.max / 512) {
            let bytes = try read(Int64(backup) * 512, 512)
            let b = ByteReader(bytes, structure: "GPT backup header")
            if b.count >= 92, try b.slice(0, 8) == Array("EFI PART".utf8) {
                let size = Int(try b.u32le(12))
                let stored = try b.u32le(16)
                backupValid = (92...512).contains(size) && (try? crcOfHeader(b, size: size)) == stored
            }
        }
        return GPT(diskGUID: try guid(r, 56), currentLBA: try r.u64le(24), backupLBA: backup,
                   firstUsableLBA: try r.u64le(40), lastUsableLBA: try r.u64le(48), entriesLBA: entriesLBA,
                   entryCount: count, entrySize: size, partitions: partitions,
                   backupPlacement: placement, backupValid: backupValid)
    }

    private static func crcOfHeader(_ r: ByteReader, size: Int) throws -> UInt32 {
        var bytes = try r.slice(0, size)
        bytes.replaceSubrange(16..<20, with: [0, 0, 0, 0])
        return CRC32.checksum(bytes)
    }

    /// Mixed-endian GUID text, as gdisk and blkid print it.
    static func guid(_ r: ByteReader, _ o: Int) throws -> String {
        let b = try r.slice(o, 16)
        let h = { (range: [Int]) in range.map { String(format2hex: b[$0]) }.joined() }
        return [h([3, 2, 1, 0]), h([5, 4]), h([7, 6]), h([8, 9]), h(Array(10..<16))].joined(separator: "-").uppercased()
    }

    static func typeName(_ guid: String) -> String {
        switch guid {
        case efiSystemType: return "EFI system"
        case "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7": return "basic data"
        case "21686148-6449-6E6F-744E-656564454649": return "BIOS boot"
        case "0FC63DAF-8483-4772-8E79-3D69D8477DE4": return "Linux filesystem"
        case "48465300-0000-11AA-AA11-00306543ECAC": return "Apple HFS+"
        default: return "other"
        }
    }
}

func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}

extension String {
    init(format2hex byte: UInt8) {
        let s = String(byte, radix: 16)
        self = s.count == 1 ? "0" + s : s
    }
}
