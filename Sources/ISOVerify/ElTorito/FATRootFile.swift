import EdgeCore

/// A file in the root directory of a FAT filesystem, found by its long or short name and read
/// through its cluster chain, over `read(offset, count)` (offsets relative to the filesystem's
/// first byte). For checking a written user-data volume without mounting it.
public enum FATRootFile {
    /// The file's bytes; nil when the root directory has no such file. Throws when the boot
    /// sector, the directory or the file's cluster chain is broken, or the file exceeds `limit`.
    public static func read(named name: String, limit: Int, read: (Int64, Int) throws -> [UInt8]) throws -> [UInt8]? {
        let fat = try FATLayout(bootSector: read(0, 512))
        guard let entry = try fat.rootDirectory(read: read).first(where: {
            !$0.isDirectory && ($0.longName == name || $0.name == name.uppercased())
        }) else { return nil }
        guard entry.size <= limit else {
            throw EdgeError(.malformed, "\(name) on the FAT volume is \(entry.size) bytes, more than the \(limit) expected")
        }
        guard entry.size > 0 else { return [] }
        let clusters = Int((Int64(entry.size) + fat.clusterBytes - 1) / fat.clusterBytes)
        let chain = try fat.chain(from: entry.firstCluster, atMost: clusters, read: read)
        guard chain.count == clusters else {
            throw EdgeError(.malformed, "\(name) on the FAT volume is \(entry.size) bytes but its cluster chain ends after \(chain.count) clusters")
        }
        var bytes: [UInt8] = []
        for cluster in chain {
            bytes += try read(fat.dataOffset + Int64(cluster - 2) * fat.clusterBytes, Int(fat.clusterBytes))
        }
        return Array(bytes.prefix(Int(entry.size)))
    }
}
