import ISOVerify
import Foundation

/// A GUID partition table as read from the primary header and its entry array, edited in memory:
/// set an entry, move the backup to the end of a (larger) disk, and serialize with fresh CRCs.
public struct GPTTable: Sendable, Equatable {
    public static let sectorSize = 512
    /// The primary header sector, verbatim (fields are patched on write).
    var header: [UInt8]
    /// The whole entry array, `entryCount * entrySize` bytes.
    public var entries: [UInt8]

    public var alternateLBA: UInt64 { header.le64(32) }
    public var firstUsableLBA: UInt64 { header.le64(40) }
    public var lastUsableLBA: UInt64 { header.le64(48) }
    public var entriesLBA: UInt64 { header.le64(72) }
    public var entryCount: Int { Int(header.le32(80)) }
    public var entrySize: Int { Int(header.le32(84)) }
    var headerSize: Int { Int(header.le32(12)) }
    public var entryArraySectors: Int { (entryCount * entrySize + Self.sectorSize - 1) / Self.sectorSize }

    /// Reads the primary header at LBA 1; nil unless its signature and CRC check out. `readEntries`
    /// gets (LBA, byte count) and returns those bytes.
    public init?(headerSector: [UInt8], readEntries: (UInt64, Int) throws -> [UInt8]) rethrows {
        guard headerSector.count >= 512, Array(headerSector[0..<8]) == Array("EFI PART".utf8) else { return nil }
        let size = Int(headerSector.le32(12))
        guard size >= 92, size <= 512 else { return nil }
        var copy = Array(headerSector[0..<size])
        copy.setLE32(16, 0)
        guard CRC32.checksum(copy) == headerSector.le32(16) else { return nil }
        header = Array(headerSector[0..<512])
        let count = Int(header.le32(80)), entrySize = Int(header.le32(84))
        guard entrySize >= 128, count > 0, count * entrySize <= 1 << 20 else { return nil }
        entries = try readEntries(header.le64(72), count * entrySize)
        guard CRC32.checksum(entries) == header.le32(88) else { return nil }
    }

    /// The primary table, or, when the primary does not check out (an edit stopped between the
    /// primary's entries and its header), the backup at the disk's last sector seen as a primary,
    /// as Linux falls back to it. The primary's entry array stays where the old primary header
    /// put it (LBA 2 when that header is unreadable too).
    public static func readWithFallback(diskSectors: UInt64, read: (UInt64, Int) throws -> [UInt8]) throws -> GPTTable? {
        let primarySector = try read(1, 512)
        if let primary = try GPTTable(headerSector: primarySector, readEntries: read) { return primary }
        guard diskSectors > 2, var backup = try GPTTable(headerSector: read(diskSectors - 1, 512), readEntries: read),
              backup.header.le64(24) == diskSectors - 1 else { return nil }
        let primaryEntries = Array(primarySector[0..<8]) == Array("EFI PART".utf8) ? primarySector.le64(72) : 2
        backup.header.setLE64(24, 1)
        backup.header.setLE64(32, diskSectors - 1)
        backup.header.setLE64(72, primaryEntries)
        return backup
    }

    public struct Entry: Sendable, Equatable {
        public var index: Int
        public var typeGUID: [UInt8]
        public var firstLBA: UInt64
        public var lastLBA: UInt64
        /// The partition name (UTF-16LE, up to 36 code units, NUL-terminated when shorter).
        public var name: String
        public var isEmpty: Bool { typeGUID.allSatisfy { $0 == 0 } }
    }

    public func entry(_ index: Int) -> Entry {
        let at = index * entrySize
        let units = stride(from: at + 56, to: at + 128, by: 2).map { entries.le16($0) }.prefix { $0 != 0 }
        return Entry(index: index, typeGUID: Array(entries[at..<(at + 16)]),
                     firstLBA: entries.le64(at + 32), lastLBA: entries.le64(at + 40),
                     name: String(decoding: units, as: UTF16.self))
    }

    public var usedEntries: [Entry] { (0..<entryCount).map(entry).filter { !$0.isEmpty } }
    public var firstEmptyIndex: Int? { (0..<entryCount).first { entry($0).isEmpty } }

    /// Microsoft basic data: what Linux, Windows and macOS all treat as a plain FAT/ISO data volume.
    public static let basicDataType = GUIDBytes.mixedEndian("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7")

    /// Fills entry `index` (its unique GUID fresh, its name `name`).
    public mutating func setEntry(_ index: Int, type: [UInt8], firstLBA: UInt64, lastLBA: UInt64, name: String) {
        setEntryBytes(index, Self.entryBytes(size: entrySize, type: type, firstLBA: firstLBA, lastLBA: lastLBA, name: name))
    }

    /// One entry's bytes (`size` of them): type, a fresh unique GUID, first and last LBA, name.
    public static func entryBytes(size: Int, type: [UInt8], firstLBA: UInt64, lastLBA: UInt64, name: String) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.setBytes(0, type)
        bytes.setBytes(16, GUIDBytes.random())
        bytes.setLE64(32, firstLBA)
        bytes.setLE64(40, lastLBA)
        let utf16 = Array(name.utf16.prefix(36))
        for (i, unit) in utf16.enumerated() { bytes.setLE16(56 + 2 * i, unit) }
        return bytes
    }

    /// Entry `index` as stored (`entrySize` bytes).
    public func entryBytes(_ index: Int) -> [UInt8] {
        Array(entries[(index * entrySize)..<((index + 1) * entrySize)])
    }

    public mutating func setEntryBytes(_ index: Int, _ bytes: [UInt8]) {
        entries.setBytes(index * entrySize, bytes)
    }

    /// Puts the backup header on the disk's last sector and its entries just before it, and lets
    /// partitions use everything up to there.
    public mutating func relocateBackup(diskSectors: UInt64) {
        let last = diskSectors - 1
        header.setLE64(32, last)
        header.setLE64(48, last - UInt64(entryArraySectors) - 1)
    }

    /// Writes for the backup (entries, header) and for the primary (entries, header). The backup is
    /// to be flushed before the primary is written, so that a stick pulled half-way still has one
    /// consistent table: while the primary is incomplete, Linux falls back to the backup at the
    /// disk's last sector.
    public func serialized() -> (backup: [DiskWrite], primary: [DiskWrite]) {
        let sector = Int64(Self.sectorSize)
        let entriesCRC = CRC32.checksum(entries)
        var primary = header
        primary.setLE32(88, entriesCRC)
        var backup = primary
        let last = alternateLBA
        let backupEntriesLBA = last - UInt64(entryArraySectors)
        backup.setLE64(24, last)       // my LBA
        backup.setLE64(32, 1)          // alternate: the primary
        backup.setLE64(72, backupEntriesLBA)
        let padded = entries + [UInt8](repeating: 0, count: entryArraySectors * Self.sectorSize - entries.count)
        return ([DiskWrite(offset: Int64(backupEntriesLBA) * sector, bytes: padded),
                 DiskWrite(offset: Int64(last) * sector, bytes: Self.sealed(backup, size: headerSize))],
                [DiskWrite(offset: Int64(entriesLBA) * sector, bytes: entries),
                 DiskWrite(offset: sector, bytes: Self.sealed(primary, size: headerSize))])
    }

    private static func sealed(_ header: [UInt8], size: Int) -> [UInt8] {
        var sector = header
        sector.setLE32(16, 0)
        sector.setLE32(16, CRC32.checksum(sector[0..<size]))
        return sector
    }
}

/// GUIDs as GPT stores them: the first three fields little-endian, the rest as written.
enum GUIDBytes {
    static func mixedEndian(_ text: String) -> [UInt8] {
        let hex = text.replacingOccurrences(of: "-", with: "")
        let bytes = stride(from: 0, to: 32, by: 2).map { i -> UInt8 in
            let start = hex.index(hex.startIndex, offsetBy: i)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
        return Array(bytes[0..<4].reversed()) + Array(bytes[4..<6].reversed()) + Array(bytes[6..<8].reversed()) + Array(bytes[8...])
    }

    static func random() -> [UInt8] {
        let uuid = UUID().uuid
        return withUnsafeBytes(of: uuid) { Array($0) }
    }
}
