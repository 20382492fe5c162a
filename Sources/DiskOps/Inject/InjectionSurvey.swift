/// What an injection learns from a target before deciding anything: which table describes it, the
/// partitions it has, a user-data volume to replace, where the written image ends, and the table
/// slot the user-data entry goes into. Pure over `read(offset, count)`.
///
/// Shared by the planner (which then adds the volume) and by `verify --against` (which surveys the
/// image as it would sit on the stick, to know exactly what an injection may have rewritten there).
struct InjectionSurvey {
    typealias Partition = (slot: Int, first: Int64, end: Int64)

    var layout: InjectionPlan.Layout
    var mbr: MBRTable?
    var gpt: GPTTable?
    /// Sector 0 as read.
    var lba0: [UInt8]
    var partitions: [Partition]
    /// A user-data volume (or one interrupted while being replaced) that an injection replaces.
    var existing: Partition?
    /// Where the written image ends: nothing before it is touched, except the table entries.
    var imageEnd: Int64
    /// The slot for the user-data entry: the replaced volume's, else the first empty one; nil when
    /// the table is full.
    var slot: Int?

    static let sector = InjectionPlanner.sector

    init(targetSize: Int64, imageSize: Int64?, read: (Int64, Int) throws -> [UInt8]) throws {
        let sector = Self.sector
        lba0 = try read(0, 512)
        mbr = MBRTable(sector: lba0)
        gpt = try GPTTable.readWithFallback(diskSectors: UInt64(targetSize / sector)) { lba, count in try read(Int64(lba) * sector, count) }
        // Linux (the installer) reads a GPT only behind a protective or hybrid MBR (an 0xEE entry)
        // or no MBR entries at all; otherwise the MBR is the table, whatever follows it.
        let mbrIsEmpty = mbr?.entries.allSatisfy(\.isEmpty) ?? true
        if gpt != nil, mbrIsEmpty || mbr!.hasProtectiveEntry {
            layout = .gpt
        } else if !mbrIsEmpty {
            layout = .mbr
        } else {
            layout = .none
        }

        // The partitions that exist, and which one (if any) is a user-data volume to replace.
        partitions = []
        switch layout {
        case .gpt: partitions = gpt!.usedEntries.map { ($0.index, Int64($0.firstLBA) * sector, (Int64($0.lastLBA) + 1) * sector) }
        case .mbr:
            for (i, e) in mbr!.entries.enumerated() where !e.isEmpty && e.type != 0xEE {
                partitions.append((i, Int64(e.firstLBA) * sector, (Int64(e.firstLBA) + Int64(e.sectorCount)) * sector))
            }
        case .none: break
        }
        // The ISO9660 image's own size: a partition starting before it is part of the image.
        let isoSize = VolumeLabelProbe.iso9660Size(try read(0, VolumeLabelProbe.bytesNeeded))
        for p in partitions where p.first > 0 && p.first < targetSize {
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
            case .gpt: ours = gpt!.entry(p.slot).name == InjectionPlanner.partitionName && gpt!.entry(p.slot).typeGUID == GPTTable.basicDataType
            default: ours = [0x0C, 0x83].contains(mbr!.entries[p.slot].type)
            }
            if ours, p.first >= (isoSize ?? 0), head.allSatisfy({ $0 == 0 }) { existing = p }
        }

        imageEnd = imageSize ?? 0
        if let isoSize { imageEnd = max(imageEnd, isoSize) }
        for p in partitions where p.slot != existing?.slot { imageEnd = max(imageEnd, p.end) }
        if let gpt {
            let arrayEnd = (Int64(gpt.entriesLBA) + Int64(gpt.entryArraySectors)) * sector
            imageEnd = max(imageEnd, arrayEnd)
            // A backup header short of the disk's end is the image's own: part of the image.
            if layout == .gpt, (Int64(gpt.alternateLBA) + 1) * sector != targetSize {
                imageEnd = max(imageEnd, (Int64(gpt.alternateLBA) + 1) * sector)
            }
        }

        switch layout {
        case .gpt: slot = existing?.slot ?? gpt!.firstEmptyIndex
        case .mbr, .none: slot = existing?.slot ?? (mbr.map { $0.entries.firstIndex(where: \.isEmpty) } ?? 0)
        }
    }

    /// The user-data entry, as its table stores it.
    enum Entry {
        /// A whole GPT entry (`entrySize` bytes).
        case gpt([UInt8])
        case mbr(MBRTable.Entry)
    }

    /// The table writes that put `entry` into `slot` of this target's own tables on a disk of
    /// `diskSize` bytes: [backup GPT, primary GPT + protective MBR] or [MBR table bytes]. Nothing
    /// else in the tables changes: that is what `verify --against` relies on.
    func tableWrites(slot: Int, entry: Entry, diskSize: Int64) -> [[DiskWrite]] {
        let diskSectors = UInt64(diskSize / Self.sector)
        switch (layout, entry) {
        case (.gpt, .gpt(let bytes)):
            var table = gpt!
            let oldEnd = table.alternateLBA + 1
            table.relocateBackup(diskSectors: diskSectors)
            var protectiveWrite: DiskWrite?
            // A protective 0xEE entry that covered the whole image must now cover the whole disk
            // (UEFI 2.x 5.2.3; fdisk reports "PMBR size mismatch" otherwise). Only its size changes:
            // types, boot flags and the other entries (a hybrid MBR's) stay exactly as they were.
            // The new partition is deliberately not added to a hybrid MBR: Linux, which runs the
            // installer, reads the GPT whenever an 0xEE entry exists, and a second view of the disk
            // in the MBR only invites firmware and Windows to disagree with it.
            if var protective = mbr, let i = protective.entries.firstIndex(where: { $0.type == 0xEE && $0.firstLBA == 1 }),
               UInt64(protective.entries[i].firstLBA) + UInt64(protective.entries[i].sectorCount) == oldEnd {
                protective.entries[i].sectorCount = UInt32(min(diskSectors - 1, UInt64(UInt32.max)))
                protectiveWrite = DiskWrite(offset: Int64(MBRTable.tableOffset), bytes: protective.tableBytes)
            }
            table.setEntryBytes(slot, bytes)
            let serialized = table.serialized()
            return [serialized.backup, serialized.primary + (protectiveWrite.map { [$0] } ?? [])]
        case (_, .mbr(let entry)):
            var table = mbr ?? MBRTable(entries: Array(repeating: MBRTable.Entry(type: 0, firstLBA: 0, sectorCount: 0), count: 4))
            table.entries[slot] = entry
            return [[DiskWrite(offset: Int64(MBRTable.tableOffset), bytes: table.tableBytes)]]
        case (_, .gpt):
            preconditionFailure("a GPT entry for a \(layout.rawValue) layout")
        }
    }
}
