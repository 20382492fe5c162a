import ISOVerify

/// The tables a written image had, where an injection or a disk image's finish rewrote them for
/// the disk, worked out from the stick alone: for `check` to hash the image region as the image
/// was (the flash log names images by that hash). Both write a new backup GPT at the disk's end and
/// leave the image's own at its last sector. After an injection the image's primary is the stick's
/// own with the user-data entry taken out and the backup moved back (so every other entry is
/// hashed as the stick holds it); after a finish alone (the last partition not grown) it is the
/// image's backup seen as a primary again. A protective MBR entry widened to the disk is shrunk
/// back to the image. An MBR loses the entry
/// inject added. For an image whose backup GPT is not at its end, or an MBR image `--grow` grew,
/// the hash does not match, and `check` says it cannot name the image rather than that it is intact.
enum ImageTablesOnStick {
    /// The writes that put the image's tables back over the stick's, for an image of `imageSize`
    /// bytes (`userDataPartition`: the entry inject added after it, if any); empty when the stick
    /// holds the tables as the image had them, nil when they cannot be put back.
    static func writes(_ tables: TargetTables, userDataPartition number: Int?, imageSize: Int64, diskSize: Int64,
                       read: (Int64, Int) throws -> [UInt8]) -> [DiskWrite]? {
        let sector = tables.sectorSize
        let imageSectors = UInt64(imageSize / Int64(sector)), diskSectors = UInt64(diskSize / Int64(sector))
        switch tables.layout {
        case .gpt:
            guard let gpt = tables.gpt, imageSectors > 0 else { return nil }
            guard gpt.backupLBA != imageSectors - 1 else { return [] }
            guard let writes = number.map({ primaryBeforeInjection(gpt, userDataPartition: $0, imageSectors: imageSectors, read: read) })
                    ?? imageBackupAsPrimary(sectorSize: sector, imageSize: imageSize, read: read) else { return nil }
            guard var mbr = tables.mbr, let i = mbr.partitions.firstIndex(where: { $0.type == 0xEE && $0.startLBA == 1 }),
                  UInt64(mbr.partitions[i].sectors) == min(diskSectors - 1, UInt64(UInt32.max)) else { return writes }
            mbr.partitions[i].sectors = UInt32(min(imageSectors - 1, UInt64(UInt32.max)))
            return writes + [DiskWrite(offset: Int64(MBR.tableOffset), bytes: mbr.tableBytes)]
        case .mbr, .none:
            guard let number else { return [] }
            guard var mbr = tables.mbr else { return nil }
            mbr.partitions.removeAll { $0.number == number }
            // An image without a table (a plain ISO: its system area all zeros) got its MBR from inject.
            let untouched = mbr.partitions.isEmpty && !mbr.hasBootCode && mbr.diskSignature == 0
            return [DiskWrite(offset: Int64(MBR.tableOffset), bytes: untouched ? [UInt8](repeating: 0, count: 66) : mbr.tableBytes)]
        }
    }

    /// After an injection: the stick's own primary with the user-data entry zeroed and the backup
    /// moved back to the image's last sector, so a change to any other entry or header field
    /// changes the hash. nil unless the backup at the disk's end is the one that primary makes
    /// (inject writes both), so a changed backup is not left unseen either.
    private static func primaryBeforeInjection(_ stick: GPT, userDataPartition number: Int, imageSectors: UInt64,
                                               read: (Int64, Int) throws -> [UInt8]) -> [DiskWrite]? {
        var gpt = stick
        guard let backup = try? stick.serialized().backup,
              (try? backup.allSatisfy({ try read($0.offset, $0.bytes.count) == $0.bytes })) == true,
              let entry = gpt.entryBytes(number),
              (try? gpt.setEntryBytes(number, [UInt8](repeating: 0, count: entry.count))) != nil,
              (try? gpt.relocateBackup(diskSectors: imageSectors)) != nil else { return nil }
        return try? gpt.serialized().primary
    }

    /// After a disk image's finish (no entry added): the image's own backup GPT, left at its last
    /// sector, seen as a primary again.
    private static func imageBackupAsPrimary(sectorSize: Int, imageSize: Int64, read: (Int64, Int) throws -> [UInt8]) -> [DiskWrite]? {
        guard let primary = try? read(Int64(sectorSize), sectorSize),
              let own = try? GPT.backupAsPrimary(damagedPrimary: primary, sectorSize: sectorSize, diskSize: imageSize, read: read) else { return nil }
        return try? own.serialized().primary
    }
}
