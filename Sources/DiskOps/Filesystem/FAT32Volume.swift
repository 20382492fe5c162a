import EdgeCore
import Foundation
import ISOVerify

/// A FAT32 volume built in memory from userspace, no mount needed: boot sector, FSInfo, their
/// backups, both FATs, a root directory with long file names, and the files' clusters.
///
/// Only the metadata and the files are written; free clusters keep whatever the stick held, which
/// FAT ignores because the FAT marks them free.
public struct FAT32Volume {
    public static let bytesPerSector = 512
    public static let reservedSectors = 32
    /// FAT32 needs at least 65525 clusters; with 512-byte clusters that is about 33 MiB.
    public static let minimumSize: Int64 = 34 << 20

    public struct File: Sendable {
        public var name: String
        public var contents: [UInt8]
        public init(name: String, contents: [UInt8]) {
            self.name = name
            self.contents = contents
        }
    }

    public let totalSectors: UInt32
    public let sectorsPerCluster: UInt32
    public let fatSectors: UInt32
    public let clusterCount: UInt32

    public init(size: Int64) throws {
        let sectors = size / Int64(Self.bytesPerSector)
        guard size >= Self.minimumSize, sectors <= Int64(UInt32.max) else {
            throw EdgeError(.malformed, "a FAT32 volume of \(size) bytes is out of range",
                            hint: "Use --size between 34M and 2T.")
        }
        totalSectors = UInt32(sectors)
        // Microsoft's cluster sizes for FAT32 by volume size (fatgen103).
        switch sectors {
        case ..<532_480: sectorsPerCluster = 1
        case ..<16_777_216: sectorsPerCluster = 8
        case ..<33_554_432: sectorsPerCluster = 16
        case ..<67_108_864: sectorsPerCluster = 32
        default: sectorsPerCluster = 64
        }
        // fatgen103's FAT size formula: the smallest FAT that covers every cluster.
        let tmp1 = UInt64(totalSectors) - UInt64(Self.reservedSectors)
        let tmp2 = (256 * UInt64(sectorsPerCluster) + 2) / 2
        fatSectors = UInt32((tmp1 + tmp2 - 1) / tmp2)
        clusterCount = (totalSectors - UInt32(Self.reservedSectors) - 2 * fatSectors) / sectorsPerCluster
    }

    var clusterBytes: Int { Int(sectorsPerCluster) * Self.bytesPerSector }
    var dataStartSector: Int { Self.reservedSectors + 2 * Int(fatSectors) }

    /// The writes, at offsets relative to the volume's first byte. `hiddenSectors` is the
    /// partition's start LBA (recorded in the boot sector, as DOS-era boot code expects).
    public func writes(label: String, files: [File], hiddenSectors: UInt32, volumeID: UInt32, date: Date) throws -> [DiskWrite] {
        let sector = Self.bytesPerSector
        // Root directory in cluster 2, files one after another from cluster 3.
        var fat = [UInt32](repeating: 0, count: Int(clusterCount) + 2)
        fat[0] = 0x0FFF_FFF8
        fat[1] = 0x0FFF_FFFF
        fat[2] = 0x0FFF_FFFF
        var directory = DirectoryBuilder(date: date)
        directory.addLabel(label)
        var nextCluster: UInt32 = 3
        var dataWrites: [DiskWrite] = []
        for file in files {
            let clusters = (file.contents.count + clusterBytes - 1) / clusterBytes
            guard Int(nextCluster) + clusters <= fat.count else {
                throw EdgeError(.malformed, "the files do not fit in the \(Int64(totalSectors) * 512)-byte volume",
                                hint: "Use a larger --size.")
            }
            let first = clusters == 0 ? 0 : nextCluster
            for i in 0..<clusters {
                let cluster = Int(nextCluster) + i
                fat[cluster] = i == clusters - 1 ? 0x0FFF_FFFF : UInt32(cluster + 1)
            }
            if clusters > 0 {
                dataWrites.append(DiskWrite(offset: clusterOffset(nextCluster), bytes: padded(file.contents, to: clusters * clusterBytes)))
            }
            nextCluster += UInt32(clusters)
            directory.addFile(name: file.name, firstCluster: first, size: UInt32(file.contents.count))
        }
        guard directory.bytes.count <= clusterBytes else {
            throw EdgeError(.malformed, "too many files for the volume's root directory")
        }
        let used = nextCluster - 2
        var reserved = [UInt8](repeating: 0, count: Self.reservedSectors * sector)
        let boot = bootSector(label: label, hiddenSectors: hiddenSectors, volumeID: volumeID)
        let info = fsInfo(freeClusters: clusterCount - used, nextFree: nextCluster)
        for base in [0, 6] {       // primary and backup boot sectors (BPB_BkBootSec = 6)
            reserved.setBytes(base * sector, boot)
            reserved.setBytes((base + 1) * sector, info)
            reserved[(base + 2) * sector + 510] = 0x55
            reserved[(base + 2) * sector + 511] = 0xAA
        }
        var fatBytes = [UInt8](repeating: 0, count: Int(fatSectors) * sector)
        for (i, value) in fat.enumerated() where value != 0 { fatBytes.setLE32(4 * i, value) }
        return [
            DiskWrite(offset: 0, bytes: reserved),
            DiskWrite(offset: Int64(Self.reservedSectors * sector), bytes: fatBytes),
            DiskWrite(offset: Int64((Self.reservedSectors + Int(fatSectors)) * sector), bytes: fatBytes),
            DiskWrite(offset: clusterOffset(2), bytes: padded(directory.bytes, to: clusterBytes)),
        ] + dataWrites
    }

    private func clusterOffset(_ cluster: UInt32) -> Int64 {
        Int64(dataStartSector + Int(cluster - 2) * Int(sectorsPerCluster)) * Int64(Self.bytesPerSector)
    }

    private func padded(_ bytes: [UInt8], to count: Int) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: count - bytes.count)
    }

    private func bootSector(label: String, hiddenSectors: UInt32, volumeID: UInt32) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: Self.bytesPerSector)
        b.setBytes(0, [0xEB, 0x58, 0x90])
        b.setBytes(3, Array("MSWIN4.1".utf8))
        b.setLE16(11, UInt16(Self.bytesPerSector))
        b[13] = UInt8(sectorsPerCluster)
        b.setLE16(14, UInt16(Self.reservedSectors))
        b[16] = 2                       // FATs
        b[21] = 0xF8                    // media: fixed disk
        b.setLE16(24, 32)               // sectors per track, heads: nominal LBA geometry
        b.setLE16(26, 64)
        b.setLE32(28, hiddenSectors)
        b.setLE32(32, totalSectors)
        b.setLE32(36, fatSectors)
        b.setLE32(44, 2)                // root directory cluster
        b.setLE16(48, 1)                // FSInfo sector
        b.setLE16(50, 6)                // backup boot sector
        b[64] = 0x80
        b[66] = 0x29                    // extended boot signature: the next three fields are valid
        b.setLE32(67, volumeID)
        b.setBytes(71, DirectoryBuilder.shortLabel(label))
        b.setBytes(82, Array("FAT32   ".utf8))
        // Boot code: a message for anyone who boots the volume itself (int 10h teletype, then halt).
        let message = Array("This is a data volume (site user-data), not bootable.\r\n".utf8)
        let code: [UInt8] = [0x0E, 0x1F, 0xBE, 0x77, 0x7C, 0xAC, 0x22, 0xC0, 0x74, 0x0B, 0x56, 0xB4, 0x0E,
                             0xBB, 0x07, 0x00, 0xCD, 0x10, 0x5E, 0xEB, 0xF0, 0xF4, 0xEB, 0xFD]
        b.setBytes(90, code)
        b.setBytes(0x77, message + [0])
        b[510] = 0x55
        b[511] = 0xAA
        return b
    }

    private func fsInfo(freeClusters: UInt32, nextFree: UInt32) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: Self.bytesPerSector)
        b.setLE32(0, 0x4161_5252)
        b.setLE32(484, 0x6141_7272)
        b.setLE32(488, freeClusters)
        b.setLE32(492, nextFree)
        b.setLE32(508, 0xAA55_0000)
        return b
    }
}
