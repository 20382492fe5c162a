import CParted
import EdgeCore

/// Reads a disk's (or image file's) partition table through libparted, to cross-check what the
/// native editor wrote. libparted refuses some real layouts (an MBR whose partition 1 starts at
/// LBA 0: "recursive partition"); that refusal comes back as a thrown error, never a prompt.
public struct PartedTable: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var number: Int
        public var startSector: Int64
        public var sectorCount: Int64
    }
    public var type: String            // "msdos", "gpt", "loop"...
    /// The logical sector size libparted opened the device with (a block device's own, from the
    /// kernel; 512 for a file): the unit of the partitions' sectors.
    public var sectorSize: Int
    public var partitions: [Partition]
    /// What libparted complained about while reading (e.g. a backup GPT not at the disk's end).
    public var warnings: [String]
}

public enum PartedTableReader {
    public static func read(_ path: String) throws -> PartedTable {
        let (table, messages) = PartedLibrary.withQuietHandler { () -> PartedTable? in
            guard let device = ped_device_get(path) else { return nil }
            defer { ped_device_destroy(device) }
            guard ped_device_open(device) != 0 else { return nil }
            defer { ped_device_close(device) }
            guard let disk = ped_disk_new(device) else { return nil }
            defer { ped_disk_destroy(disk) }
            var partitions: [PartedTable.Partition] = []
            var cursor = ped_disk_next_partition(disk, nil)
            while let part = cursor {
                if part.pointee.num > 0 {
                    partitions.append(.init(number: Int(part.pointee.num), startSector: Int64(part.pointee.geom.start),
                                            sectorCount: Int64(part.pointee.geom.length)))
                }
                cursor = ped_disk_next_partition(disk, part)
            }
            let type = disk.pointee.type.map { String(cString: $0.pointee.name) } ?? "unknown"
            return PartedTable(type: type, sectorSize: Int(device.pointee.sector_size), partitions: partitions, warnings: [])
        }
        // An error answered with Ignore still yields a table, but not a trustworthy one (libparted
        // drops the partition it objected to): treat it as the refusal it is.
        let error = messages.first { $0.isError }
        guard var table, error == nil else {
            throw EdgeError(.failure, "libparted cannot read the partition table of \(path): \((error ?? messages.last)?.text ?? "no details")")
        }
        table.warnings = messages.map(\.text)
        return table
    }
}
