import EdgeCore

/// A GUID partition table: the primary header at LBA 1, its entry array, both CRC32s checked, and
/// where the backup header says it lives. LBAs count logical sectors of `sectorSize` bytes (512, or
/// 4096 for a table made for a 4Kn disk), the one value every offset below is computed from. Read from an image (`inspect`) or a
/// stick (`inject`), both hostile input, with checked reads and checked arithmetic only; edited
/// (an entry set, the backup moved to the end of a larger disk) and serialized with fresh CRCs.
///
/// The header and the entry array are kept verbatim and are the truth: edits change those bytes
/// and then derive the fields below again with the same code that parsed them, so what `inspect`
/// shows and what `inject` writes cannot disagree.
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

    public private(set) var diskGUID: String
    public private(set) var currentLBA: UInt64
    public private(set) var backupLBA: UInt64
    public private(set) var firstUsableLBA: UInt64
    public private(set) var lastUsableLBA: UInt64
    public private(set) var entriesLBA: UInt64
    public private(set) var entryCount: UInt32
    public private(set) var entrySize: UInt32
    /// Entries whose type GUID is not zero, numbered from 1 by their place in the array.
    public private(set) var partitions: [Partition]
    /// Where the backup header sits relative to the image (or disk): at its last sector (an
    /// ISO-sized GPT, which on a bigger stick is no longer at the end of the disk), inside it, or
    /// past its end.
    public private(set) var backupPlacement: BackupPlacement
    /// The backup header was read and has a valid signature and CRC.
    public private(set) var backupValid: Bool
    /// The logical sector size the table was made for: its header lies at this byte.
    public private(set) var sectorSize: Int = 512
    /// The header's first `headerSize` bytes (CRC field as read) and the whole entry array.
    private var header: [UInt8] = []
    private var entryArray: [UInt8] = []
    /// The size of the image or disk the placement above is relative to.
    private var imageSize: Int64 = 0

    enum CodingKeys: String, CodingKey {
        case diskGUID, currentLBA, backupLBA, firstUsableLBA, lastUsableLBA, entriesLBA, entryCount, entrySize,
             partitions, backupPlacement, backupValid
    }

    public enum BackupPlacement: String, Sendable, Codable { case endOfImage = "end of image", insideImage = "inside image", pastEnd = "past end of image" }

    /// The logical sector sizes a GPT is read with: a header at byte 512 or at byte 4096.
    public static let sectorSizes = [512, 4096]
    public static let efiSystemType = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
    /// Microsoft basic data: what Linux, Windows and macOS all treat as a plain FAT/ISO data volume.
    public static let basicDataType = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
    /// Entry arrays larger than this (bytes) are refused: the standard is 16 KiB.
    public static let maximumEntryArrayBytes = 1 << 20
    /// UEFI reserves at least this much for the entry array (128 entries of 128 bytes).
    public static let minimumEntryArrayBytes = 16_384
    static let signature = Array("EFI PART".utf8)

    /// The entry array's length in whole sectors.
    public var entryArraySectors: UInt64 { (UInt64(entryArray.count) + UInt64(sectorSize) - 1) / UInt64(sectorSize) }

    /// The sector size whose LBA 1 holds an "EFI PART" header (512 first); nil when neither does
    /// (an MBR-only image says nothing of the sector size it was made for).
    public static func headerSectorSize(_ read: (Int64, Int) throws -> [UInt8]) throws -> Int? {
        try sectorSizes.first { try read(Int64($0), 8) == signature }
    }

    /// Parses the GPT whose primary header is `header` (the sector at LBA 1, `sectorSize` bytes
    /// from the start); `read(offset, count)` returns image bytes for the entry array and the backup
    /// header. nil when `header` has no "EFI PART" signature.
    public static func parse(header: [UInt8], sectorSize: Int, imageSize: Int64,
                             read: (Int64, Int) throws -> [UInt8]) throws -> GPT? {
        precondition(sectorSize >= 512 && sectorSize.nonzeroBitCount == 1, "a logical sector size is a power of two from 512")
        let r = ByteReader(header, structure: "GPT header")
        guard r.count >= 92, try r.slice(0, 8) == signature else { return nil }
        let headerSize = Int(try r.u32le(12))
        guard (92...sectorSize).contains(headerSize) else {
            throw EdgeError(.malformed, "GPT header declares a size of \(headerSize) bytes (must be 92-\(sectorSize))")
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
        let (arrayOffset, overflow) = entriesLBA.multipliedReportingOverflow(by: UInt64(sectorSize))
        // Compared as a subtraction: a hostile LBA near 2^64 / sectorSize made the sum trap.
        guard !overflow, arrayOffset <= UInt64(max(imageSize, 0)), arrayBytes <= UInt64(max(imageSize, 0)) - arrayOffset else {
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
        var gpt = try GPT(header: try r.slice(0, headerSize), entryArray: array, sectorSize: sectorSize, imageSize: imageSize)
        if gpt.backupPlacement != .pastEnd, gpt.backupLBA <= UInt64(Int64.max / Int64(sectorSize)) {
            gpt.backupValid = try isValidHeader(read(Int64(gpt.backupLBA) * Int64(sectorSize), sectorSize))
        }
        return gpt
    }

    /// The fields of `header` and `entryArray`, both already checked (sizes, CRCs).
    private init(header: [UInt8], entryArray: [UInt8], sectorSize: Int, imageSize: Int64) throws {
        let r = ByteReader(header, structure: "GPT header")
        let a = ByteReader(entryArray, structure: "GPT entry array")
        self.header = header
        self.entryArray = entryArray
        self.sectorSize = sectorSize
        self.imageSize = imageSize
        diskGUID = try Self.guid(r, 56)
        currentLBA = try r.u64le(24)
        backupLBA = try r.u64le(32)
        firstUsableLBA = try r.u64le(40)
        lastUsableLBA = try r.u64le(48)
        entriesLBA = try r.u64le(72)
        entryCount = try r.u32le(80)
        entrySize = try r.u32le(84)
        partitions = []
        for i in 0..<Int(entryCount) {
            let o = i * Int(entrySize)
            let type = try Self.guid(a, o)
            if type == "00000000-0000-0000-0000-000000000000" { continue }
            partitions.append(Partition(number: i + 1, typeGUID: type, typeName: Self.typeName(type),
                                        uniqueGUID: try Self.guid(a, o + 16), firstLBA: try a.u64le(o + 32),
                                        lastLBA: try a.u64le(o + 40), attributes: try a.u64le(o + 48),
                                        name: try a.utf16le(o + 56, 72)))
        }
        let lastSector = UInt64(max(imageSize / Int64(sectorSize) - 1, 0))
        backupPlacement = backupLBA == lastSector ? .endOfImage : (backupLBA < lastSector ? .insideImage : .pastEnd)
        backupValid = false
    }

    /// The same fields, derived again from the (edited) bytes.
    private mutating func rederive() throws {
        let valid = backupValid
        self = try GPT(header: header, entryArray: entryArray, sectorSize: sectorSize, imageSize: imageSize)
        backupValid = valid
    }

    /// When the primary header does not check out (an edit stopped between the primary's entries
    /// and its header), the backup at the disk's last sector, seen as a primary, as Linux falls
    /// back to it. Its entry array goes where the damaged primary header put the primary's, when
    /// that header still names a place the array fits in, else at LBA 2. nil when the last sector
    /// holds no valid backup header that knows it is there.
    public static func backupAsPrimary(damagedPrimary: [UInt8], sectorSize: Int, diskSize: Int64,
                                       read: (Int64, Int) throws -> [UInt8]) throws -> GPT? {
        let diskSectors = UInt64(max(diskSize, 0) / Int64(sectorSize))
        guard diskSectors > 2 else { return nil }
        let last = diskSectors - 1
        guard let backup = try? parse(header: read(Int64(last) * Int64(sectorSize), sectorSize), sectorSize: sectorSize,
                                      imageSize: diskSize, read: read),
              backup.currentLBA == last else { return nil }
        var primary = backup
        let old = ByteReader(damagedPrimary, structure: "damaged GPT header")
        var entriesLBA: UInt64 = 2
        if (try? old.slice(0, 8)) == signature, let named = try? old.u64le(72),
           named >= 2, named < backup.firstUsableLBA, backup.firstUsableLBA - named >= backup.entryArraySectors {
            entriesLBA = named
        }
        guard entriesLBA + backup.entryArraySectors <= backup.firstUsableLBA else { return nil }
        primary.header.setLE64(24, 1)
        primary.header.setLE64(32, last)
        primary.header.setLE64(72, entriesLBA)
        try primary.rederive()
        primary.backupValid = true
        return primary
    }

    /// The lowest partition number whose entry is empty.
    public var firstFreeNumber: Int? {
        let used = Set(partitions.map(\.number))
        return (0..<Int(entryCount)).lazy.map { $0 + 1 }.first { !used.contains($0) }
    }

    /// Fills entry `number` (its unique GUID fresh, its name `name`, up to 36 UTF-16 units).
    public mutating func setPartition(_ number: Int, type: String, firstLBA: UInt64, lastLBA: UInt64, name: String) throws {
        guard number >= 1, number <= Int(entryCount) else {
            throw EdgeError(.malformed, "GPT has \(entryCount) entries: there is no entry \(number)")
        }
        guard firstUsableLBA <= firstLBA, firstLBA <= lastLBA, lastLBA <= lastUsableLBA else {
            throw EdgeError(.malformed, "GPT partition \(number) (sectors \(firstLBA)-\(lastLBA)) lies outside the usable sectors \(firstUsableLBA)-\(lastUsableLBA)")
        }
        if let other = partitions.first(where: { $0.number != number && $0.firstLBA <= lastLBA && firstLBA <= $0.lastLBA }) {
            throw EdgeError(.malformed, "GPT partition \(number) (sectors \(firstLBA)-\(lastLBA)) would overlap partition \(other.number) (\(other.firstLBA)-\(other.lastLBA))")
        }
        var entry = [UInt8](repeating: 0, count: Int(entrySize))
        entry.setBytes(0, try Self.guidBytes(type))
        entry.setBytes(16, Self.randomGUIDBytes())
        entry.setLE64(32, firstLBA)
        entry.setLE64(40, lastLBA)
        for (i, unit) in name.utf16.prefix(36).enumerated() { entry.setLE16(56 + 2 * i, unit) }
        entryArray.setBytes((number - 1) * Int(entrySize), entry)
        try rederive()
    }

    /// Moves the last sector of partition `number` to `lastLBA`, its other fields as they were (the
    /// last partition grown to the disk's end, as `growpart` does).
    public mutating func setLastLBA(of number: Int, to lastLBA: UInt64) throws {
        guard let partition = partitions.first(where: { $0.number == number }) else {
            throw EdgeError(.malformed, "GPT has no partition \(number)")
        }
        guard partition.firstLBA <= lastLBA, lastLBA <= lastUsableLBA else {
            throw EdgeError(.malformed, "GPT partition \(number) (from sector \(partition.firstLBA)) cannot end at sector \(lastLBA): the usable sectors end at \(lastUsableLBA)")
        }
        if let other = partitions.first(where: { $0.number != number && $0.firstLBA <= lastLBA && partition.firstLBA <= $0.lastLBA }) {
            throw EdgeError(.malformed, "GPT partition \(number) ending at sector \(lastLBA) would overlap partition \(other.number) (\(other.firstLBA)-\(other.lastLBA))")
        }
        entryArray.setLE64((number - 1) * Int(entrySize) + 40, lastLBA)
        try rederive()
    }

    /// Entry `number` as stored (`entrySize` bytes); nil when there is no such entry.
    public func entryBytes(_ number: Int) -> [UInt8]? {
        guard number >= 1, number <= Int(entryCount) else { return nil }
        let at = (number - 1) * Int(entrySize)
        return Array(entryArray[at..<(at + Int(entrySize))])
    }

    /// Puts `bytes` (an entry as another copy of this table stores it) into entry `number`.
    public mutating func setEntryBytes(_ number: Int, _ bytes: [UInt8]) throws {
        guard number >= 1, number <= Int(entryCount), bytes.count == Int(entrySize) else {
            throw EdgeError(.malformed, "GPT has \(entryCount) entries of \(entrySize) bytes: cannot set entry \(number) from \(bytes.count) bytes")
        }
        entryArray.setBytes((number - 1) * Int(entrySize), bytes)
        try rederive()
    }

    /// Moves the backup header to the last sector of a disk of `diskSectors` sectors and its entry
    /// array just before it, and lets partitions use everything up to there (what a stick larger
    /// than the image needs, as `sgdisk -e` does). A disk too small for its partitions and backup
    /// is a refusal (exit 3): the disk, not the table, is at fault.
    public mutating func relocateBackup(diskSectors: UInt64) throws {
        let tail = entryArraySectors + 1
        guard diskSectors < UInt64(Int64.max / Int64(sectorSize)), diskSectors > tail, diskSectors - 1 - tail >= lastUsedLBA else {
            throw EdgeError(.refused, "a disk of \(diskSectors) sectors is too small for this GPT: its partitions reach sector \(lastUsedLBA) and its backup needs \(tail) sectors at the end")
        }
        guard diskSectors - 1 - tail >= firstUsableLBA else {
            throw EdgeError(.malformed, "GPT's first usable sector \(firstUsableLBA) lies past the end of a disk of \(diskSectors) sectors")
        }
        header.setLE64(32, diskSectors - 1)
        header.setLE64(48, diskSectors - 1 - tail)
        imageSize = Int64(diskSectors) * Int64(sectorSize)
        try rederive()
    }

    private var lastUsedLBA: UInt64 { partitions.map(\.lastLBA).max() ?? 0 }

    /// Writes for the backup (entry array, header) and for the primary (entry array, header), CRCs
    /// computed afresh. The backup is to be flushed before the primary is written, so that a stick
    /// pulled half-way still has one consistent table: while the primary is incomplete, Linux falls
    /// back to the backup at the disk's last sector.
    /// Throws, writing nothing, unless the layout is one a firmware accepts: the primary's array
    /// between its header and the first usable sector, the backup's array and header after the last.
    public func serialized() throws -> (backup: [DiskWrite], primary: [DiskWrite]) {
        let sectors = entryArraySectors, sector = Int64(sectorSize), limit = UInt64(Int64.max / sector)
        guard entriesLBA >= 2, entriesLBA < limit, firstUsableLBA >= entriesLBA + sectors else {
            throw EdgeError(.malformed, "GPT entry array at sector \(entriesLBA) (\(sectors) sectors) does not lie between the header and the first usable sector (\(firstUsableLBA))")
        }
        guard firstUsableLBA <= lastUsableLBA, backupLBA < limit, backupLBA > sectors, backupLBA - sectors > lastUsableLBA else {
            throw EdgeError(.malformed, "GPT backup header at sector \(backupLBA) leaves no room for its \(sectors)-sector entry array after the usable sectors (\(firstUsableLBA)-\(lastUsableLBA))")
        }
        let backupEntriesLBA = backupLBA - sectors
        var primary = header
        primary.setLE64(24, 1)            // my LBA: the primary is at sector 1, whatever was read
        primary.setLE32(88, CRC32.checksum(entryArray))
        var backup = primary
        backup.setLE64(24, backupLBA)     // my LBA
        backup.setLE64(32, 1)             // alternate: the primary
        backup.setLE64(72, backupEntriesLBA)
        let padded = entryArray + [UInt8](repeating: 0, count: Int(sectors) * sectorSize - entryArray.count)
        return ([DiskWrite(offset: Int64(backupEntriesLBA) * sector, bytes: padded),
                 DiskWrite(offset: Int64(backupLBA) * sector, bytes: sealed(backup))],
                [DiskWrite(offset: Int64(entriesLBA) * sector, bytes: entryArray),
                 DiskWrite(offset: sector, bytes: sealed(primary))])
    }

    /// A header sector: the header with its CRC32 set, zero-padded to the sector size.
    private func sealed(_ header: [UInt8]) -> [UInt8] {
        var sector = header
        sector.setLE32(16, 0)
        sector.setLE32(16, CRC32.checksum(sector))
        return sector + [UInt8](repeating: 0, count: sectorSize - sector.count)
    }

    private static func isValidHeader(_ bytes: [UInt8]) throws -> Bool {
        let b = ByteReader(bytes, structure: "GPT backup header")
        guard b.count >= 92, try b.slice(0, 8) == signature else { return false }
        let size = Int(try b.u32le(12)), stored = try b.u32le(16)
        guard (92...b.count).contains(size), let computed = try? crcOfHeader(b, size: size) else { return false }
        return computed == stored
    }

    private static func crcOfHeader(_ r: ByteReader, size: Int) throws -> UInt32 {
        var bytes = try r.slice(0, size)
        bytes.replaceSubrange(16..<20, with: [0, 0, 0, 0])
        return CRC32.checksum(bytes)
    }

    /// GPT stores a GUID's first three fields little-endian, the rest as written: these byte
    /// positions, in text order.
    private static let guidByteOrder = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]

    /// Mixed-endian GUID text, as gdisk and blkid print it.
    static func guid(_ r: ByteReader, _ o: Int) throws -> String {
        let b = try r.slice(o, 16)
        let h = { (range: ArraySlice<Int>) in range.map { String(format2hex: b[$0]) }.joined() }
        let order = guidByteOrder[...]
        return [h(order[0..<4]), h(order[4..<6]), h(order[6..<8]), h(order[8..<10]), h(order[10...])]
            .joined(separator: "-").uppercased()
    }

    /// The 16 bytes GPT stores for GUID `text` ("C12A7328-F81F-11D2-BA4B-00A0C93EC93B").
    static func guidBytes(_ text: String) throws -> [UInt8] {
        let hex = Array(text.utf8.filter { $0 != UInt8(ascii: "-") })
        let digits = hex.compactMap { UInt8(String(UnicodeScalar($0)), radix: 16) }
        guard hex.count == 32, digits.count == 32 else { throw EdgeError(.malformed, "\(text) is not a GUID") }
        let inTextOrder = (0..<16).map { digits[2 * $0] << 4 | digits[2 * $0 + 1] }
        var bytes = [UInt8](repeating: 0, count: 16)
        for (textIndex, storedIndex) in guidByteOrder.enumerated() { bytes[storedIndex] = inTextOrder[textIndex] }
        return bytes
    }

    /// A random (version 4) GUID, as stored.
    static func randomGUIDBytes() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes[7] = bytes[7] & 0x0F | 0x40     // version 4, in the little-endian third field
        bytes[8] = bytes[8] & 0x3F | 0x80     // RFC 4122 variant
        return bytes
    }

    static func typeName(_ guid: String) -> String {
        switch guid {
        case efiSystemType: return "EFI system"
        case basicDataType: return "basic data"
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
