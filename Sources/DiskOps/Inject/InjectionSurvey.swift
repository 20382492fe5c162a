import EdgeCore
import ISOVerify

/// What an injection learns from a target before deciding anything: its tables, a user-data volume
/// to replace, where the written image ends, and the partition number the user-data entry takes.
/// Pure over `read(offset, count)`.
///
/// Shared by the planner (which then adds the volume) and by `verify --against` (which surveys the
/// image as it lies on the stick, to know exactly what an injection may have rewritten there).
struct InjectionSurvey {
    var tables: TargetTables
    /// A user-data volume (or one interrupted while being replaced) that an injection replaces.
    var existing: TargetTables.Slot?
    /// Where the written image ends: nothing before it is touched, except the table entries.
    var imageEnd: Int64
    /// The user-data partition's number: the replaced volume's, else the first free entry's; nil
    /// when the table is full.
    var number: Int?

    /// `sectorSize`: the target's logical sector size for `check`, which reads what a write left on
    /// any disk; an injection is planned on 512-byte sectors only.
    init(targetSize: Int64, imageSize: Int64?, sectorSize: Int = Int(InjectionPlanner.sector), read: (Int64, Int) throws -> [UInt8]) throws {
        tables = try TargetTables.read(diskSize: targetSize, sectorSize: sectorSize, read: read)
        let layout = tables.layout
        // The ISO9660 image's own size: a partition starting before it is part of the image.
        let isoSize = VolumeLabelProbe.iso9660Size(try read(0, VolumeLabelProbe.bytesNeeded))
        for p in tables.partitions where p.first > 0 && p.first < targetSize {
            let head = try read(p.first, VolumeLabelProbe.bytesNeeded)
            if VolumeLabelProbe.isUserDataVolume(head) || VolumeLabelProbe.isUserDataVolumeAwaitingBootSector(head) {
                existing = p
                continue
            }
            // An injection interrupted while replacing the volume leaves its entry pointing at a
            // zeroed header (phase 1 of the plan): that is still ours to replace, not image. The
            // entry must look like one inject makes (GPT: named user-data; MBR: type 0x0C or 0x83)
            // and start after the ISO; 34 KiB of zeros hold no filesystem a user could lose.
            let ours: Bool
            switch layout {
            case .gpt: ours = tables.gpt!.partitions.contains { $0.number == p.number && $0.name == InjectionPlanner.partitionName && $0.typeGUID == GPT.basicDataType }
            default: ours = tables.mbr!.partitions.contains { $0.number == p.number && [0x0C, 0x83].contains($0.type) }
            }
            if ours, p.first >= (isoSize ?? 0), head.allSatisfy({ $0 == 0 }) { existing = p }
        }

        var end = imageSize ?? 0
        if let isoSize { end = max(end, isoSize) }
        for p in tables.partitions where p.number != existing?.number { end = max(end, p.end) }
        imageEnd = max(end, tables.structuresEnd)
        number = existing?.number ?? (layout == .gpt ? tables.gpt!.firstFreeNumber : (tables.mbr ?? MBR()).firstFreeNumber)
    }

    /// The user-data entry to put in the table.
    enum Entry {
        /// A new GPT entry (basic data, named user-data, a fresh unique GUID): what inject writes.
        case newGPT(firstLBA: UInt64, lastLBA: UInt64)
        /// A GPT entry exactly as a stick holds it: what `verify --against` expects.
        case gptBytes([UInt8])
        case mbr(MBR.Partition)

        static func newMBR(type: UInt8, startLBA: UInt32, sectors: UInt32) -> Entry {
            .mbr(MBR.Partition(number: 0, type: type, startLBA: startLBA, sectors: sectors))
        }
    }

    /// The table writes that put `entry` in partition `number` of the target's own tables, on a disk
    /// of `diskSize` bytes: [backup GPT, primary GPT + protective MBR] or [MBR table bytes]. Nothing
    /// else in the tables changes: that is what `verify --against` relies on.
    func tableWrites(number: Int, entry: Entry, diskSize: Int64) throws -> [[DiskWrite]] {
        let diskSectors = UInt64(diskSize / Int64(tables.sectorSize))
        switch entry {
        case .newGPT, .gptBytes:
            return try tables.gptWrites(diskSectors: diskSectors) { table in
                switch entry {
                case .newGPT(let first, let last):
                    try table.setPartition(number, type: GPT.basicDataType, firstLBA: first, lastLBA: last, name: InjectionPlanner.partitionName)
                case .gptBytes(let bytes):
                    try table.setEntryBytes(number, bytes)
                case .mbr: break
                }
            }
        case .mbr(var partition):
            var table = tables.mbr ?? MBR()
            partition.number = number
            table.place(partition)
            return [[DiskWrite(offset: Int64(MBR.tableOffset), bytes: table.tableBytes)]]
        }
    }
}
