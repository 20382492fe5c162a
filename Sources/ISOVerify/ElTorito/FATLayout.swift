import EdgeCore

/// Where a FAT filesystem keeps its table, root directory and clusters, from its boot sector.
struct FATLayout {
    enum Kind { case fat12, fat16, fat32 }

    struct Entry {
        /// The 8.3 name, upper case ("USER-D~1").
        var name: String
        /// The VFAT long name when one precedes the entry ("user-data"), as stored.
        var longName: String?
        var isDirectory: Bool
        var firstCluster: UInt32
        var size: UInt32
    }

    let kind: Kind
    let bytesPerSector: Int64
    let clusterBytes: Int64
    let fatOffset: Int64
    let rootOffset: Int64
    let rootEntries: Int
    let rootCluster: UInt32
    let dataOffset: Int64
    let clusterCount: UInt32

    init(bootSector: [UInt8]) throws {
        let r = ByteReader(bootSector, structure: "FAT boot sector")
        let bps = Int64(try r.u16le(11)), spc = Int64(try r.u8(13))
        let reserved = Int64(try r.u16le(14)), fats = Int64(try r.u8(16))
        let rootEntries = Int(try r.u16le(17))
        let small = try r.u16le(19), large = try r.u32le(32)
        let fatSize16 = try r.u16le(22)
        let fatSectors = fatSize16 != 0 ? Int64(fatSize16) : Int64(try r.u32le(36))
        let totalSectors = small != 0 ? Int64(small) : Int64(large)
        guard [512, 1024, 2048, 4096].contains(bps), spc > 0, spc.nonzeroBitCount == 1, reserved >= 1,
              (1...2).contains(fats), fatSectors > 0, totalSectors > 0 else {
            throw EdgeError(.malformed, "FAT boot sector has an impossible layout (\(bps)-byte sectors, \(spc) per cluster, \(fats) FATs)")
        }
        let rootSectors = (Int64(rootEntries) * 32 + bps - 1) / bps
        let dataStart = reserved + fats * fatSectors + rootSectors
        guard dataStart < totalSectors else {
            throw EdgeError(.malformed, "FAT boot sector places the data area (sector \(dataStart)) past the filesystem's end (\(totalSectors) sectors)")
        }
        let clusters = (totalSectors - dataStart) / spc
        // The FAT type follows from the cluster count alone (Microsoft's FAT specification).
        kind = clusters < 4085 ? .fat12 : (clusters < 65525 ? .fat16 : .fat32)
        bytesPerSector = bps
        clusterBytes = bps * spc
        fatOffset = reserved * bps
        rootOffset = (reserved + fats * fatSectors) * bps
        self.rootEntries = rootEntries
        rootCluster = kind == .fat32 ? try r.u32le(44) : 0
        dataOffset = dataStart * bps
        clusterCount = UInt32(min(clusters, Int64(UInt32.max - 2)))
    }

    func rootDirectory(read: (Int64, Int) throws -> [UInt8]) throws -> [Entry] {
        if kind == .fat32 { return try entries(ofDirectoryAt: rootCluster, read: read) }
        let count = min(rootEntries, EFIBootLoaders.maximumDirectoryEntries)
        return Self.parseEntries(try read(rootOffset, count * 32))
    }

    func entries(ofDirectoryAt firstCluster: UInt32, read: (Int64, Int) throws -> [UInt8]) throws -> [Entry] {
        if firstCluster == 0, kind != .fat32 { return try rootDirectory(read: read) }  // ".." of a top directory
        let limit = Int(Int64(EFIBootLoaders.maximumDirectoryEntries * 32) / clusterBytes) + 1
        var bytes: [UInt8] = []
        for cluster in try chain(from: firstCluster, atMost: limit, read: read) {
            bytes += try read(dataOffset + Int64(cluster - 2) * clusterBytes, Int(clusterBytes))
        }
        return Self.parseEntries(bytes)
    }

    /// The first `atMost` clusters of a file or directory, in order. A chain that loops or leaves
    /// the volume is an error, not an endless walk.
    func chain(from first: UInt32, atMost limit: Int, read: (Int64, Int) throws -> [UInt8]) throws -> [UInt32] {
        var clusters: [UInt32] = []
        var current = first
        var seen = Set<UInt32>()
        while true {
            guard current >= 2, current - 2 < clusterCount else {
                throw EdgeError(.malformed, "FAT cluster chain points to cluster \(current), outside the \(clusterCount) clusters of the volume")
            }
            guard seen.insert(current).inserted else {
                throw EdgeError(.malformed, "FAT cluster chain loops back to cluster \(current)")
            }
            clusters.append(current)
            if clusters.count >= limit { return clusters }
            let next = try fatEntry(current, read: read)
            if next >= endOfChain { return clusters }
            current = next
        }
    }

    private var endOfChain: UInt32 {
        switch kind {
        case .fat12: 0xFF8
        case .fat16: 0xFFF8
        case .fat32: 0x0FFF_FFF8
        }
    }

    private func fatEntry(_ cluster: UInt32, read: (Int64, Int) throws -> [UInt8]) throws -> UInt32 {
        switch kind {
        case .fat12:
            let offset = Int64(cluster) + Int64(cluster / 2)
            let r = ByteReader(try read(fatOffset + offset, 2), structure: "FAT12 table")
            let pair = try r.u16le(0)
            return UInt32(cluster % 2 == 0 ? pair & 0x0FFF : pair >> 4)
        case .fat16:
            return UInt32(try ByteReader(try read(fatOffset + Int64(cluster) * 2, 2), structure: "FAT16 table").u16le(0))
        case .fat32:
            return try ByteReader(try read(fatOffset + Int64(cluster) * 4, 4), structure: "FAT32 table").u32le(0) & 0x0FFF_FFFF
        }
    }

    /// Entries of a directory's bytes, up to the end marker, with their long names where VFAT
    /// long-name pieces precede them (pieces whose checksum does not match the entry are ignored);
    /// deleted entries and the volume label are skipped.
    static func parseEntries(_ bytes: [UInt8]) -> [Entry] {
        var result: [Entry] = []
        var longPieces: [(checksum: UInt8, units: [UInt16])] = []
        for start in stride(from: 0, to: bytes.count - 31, by: 32) {
            let first = bytes[start], attributes = bytes[start + 11]
            if first == 0x00 { break }
            let u16 = { (at: Int) in UInt16(bytes[start + at]) | UInt16(bytes[start + at + 1]) << 8 }
            if first == 0xE5 { longPieces = []; continue }
            if attributes & 0x0F == 0x0F {
                // Stored last piece first: prepend each piece's 13 UTF-16 units.
                let units = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30].map(u16)
                longPieces.insert((bytes[start + 13], units), at: 0)
                continue
            }
            defer { longPieces = [] }
            if attributes & 0x08 != 0 { continue }
            let shortName = Array(bytes[start..<start + 11])
            let checksum = shortName.reduce(UInt8(0)) { (($0 & 1) << 7) &+ ($0 >> 1) &+ $1 }
            var longName: String?
            if !longPieces.isEmpty, longPieces.allSatisfy({ $0.checksum == checksum }) {
                let units = longPieces.flatMap(\.units).prefix { $0 != 0 && $0 != 0xFFFF }
                longName = String(decoding: units, as: UTF16.self)
            }
            let base = String(decoding: bytes[start..<start + 8], as: UTF8.self).trimmingSpaces()
            let ext = String(decoding: bytes[start + 8..<start + 11], as: UTF8.self).trimmingSpaces()
            let field = { (at: Int, count: Int) in
                (0..<count).reduce(UInt32(0)) { $0 | UInt32(bytes[start + at + $1]) << (8 * $1) }
            }
            result.append(Entry(name: (ext.isEmpty ? base : "\(base).\(ext)").uppercased(), longName: longName,
                                isDirectory: attributes & 0x10 != 0,
                                firstCluster: field(20, 2) << 16 | field(26, 2), size: field(28, 4)))
        }
        return result
    }
}
