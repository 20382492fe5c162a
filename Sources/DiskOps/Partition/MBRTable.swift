/// The four primary entries of a DOS/MBR partition table in sector 0. Only the 64 table bytes are
/// ever rewritten: boot code, disk signature and boot flags stay as the image made them.
public struct MBRTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var status: UInt8          // 0x80: boot flag
        public var type: UInt8
        public var firstLBA: UInt32
        public var sectorCount: UInt32
        var chs: [UInt8]                  // start CHS (3) and end CHS (3), kept verbatim

        public var isEmpty: Bool { type == 0 && sectorCount == 0 }

        public init(status: UInt8 = 0, type: UInt8, firstLBA: UInt32, sectorCount: UInt32) {
            self.status = status
            self.type = type
            self.firstLBA = firstLBA
            self.sectorCount = sectorCount
            // Beyond CHS reach: the LBA-only marker every modern tool writes.
            chs = [0xFE, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF]
        }
    }

    public static let tableOffset = 446
    public var entries: [Entry]

    /// nil when sector 0 has no 0x55AA signature.
    public init?(sector: [UInt8]) {
        guard sector.count >= 512, sector[510] == 0x55, sector[511] == 0xAA else { return nil }
        entries = (0..<4).map { i in
            let at = Self.tableOffset + 16 * i
            var entry = Entry(status: sector[at], type: sector[at + 4], firstLBA: sector.le32(at + 8), sectorCount: sector.le32(at + 12))
            entry.chs = [sector[at + 1], sector[at + 2], sector[at + 3], sector[at + 5], sector[at + 6], sector[at + 7]]
            return entry
        }
    }

    public init(entries: [Entry]) { self.entries = entries }

    public var hasProtectiveEntry: Bool { entries.contains { $0.type == 0xEE } }

    /// The 66 bytes from offset 446 (four entries and the signature).
    public var tableBytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 66)
        for (i, entry) in entries.enumerated() {
            let at = 16 * i
            bytes[at] = entry.status
            bytes.setBytes(at + 1, entry.chs[0..<3])
            bytes[at + 4] = entry.type
            bytes.setBytes(at + 5, entry.chs[3..<6])
            bytes.setLE32(at + 8, entry.firstLBA)
            bytes.setLE32(at + 12, entry.sectorCount)
        }
        bytes[64] = 0x55
        bytes[65] = 0xAA
        return bytes
    }
}
