import ISOVerify

/// What a written image held where an injection rewrote the tables, worked out from the stick
/// alone, for `check` to hash the image region as the image was (the flash log names images by
/// that hash). The reverse of `InjectionSurvey.tableWrites`: the user-data entry taken out again
/// and, for a GPT, its backup moved back to the last sector of an image of `imageSize` bytes and a
/// protective MBR entry shrunk back to the image. Exact for images whose backup GPT sits at their
/// end with the usable sectors just before it (xorriso's and grub-mkrescue's); for any other image
/// the hash does not match, and `check` says it cannot name the image rather than that it is intact.
enum ImageTablesBeforeInjection {
    /// nil when the tables cannot be put back for an image of that size.
    static func writes(_ tables: TargetTables, userDataPartition number: Int, imageSize: Int64, diskSize: Int64) -> [DiskWrite]? {
        let imageSectors = UInt64(imageSize / 512), diskSectors = UInt64(diskSize / 512)
        switch tables.layout {
        case .gpt:
            guard var gpt = tables.gpt, let entry = gpt.entryBytes(number),
                  (try? gpt.setEntryBytes(number, [UInt8](repeating: 0, count: entry.count))) != nil,
                  (try? gpt.relocateBackup(diskSectors: imageSectors)) != nil,
                  let primary = try? gpt.serialized().primary else { return nil }
            var writes = primary
            if var mbr = tables.mbr, let i = mbr.partitions.firstIndex(where: { $0.type == 0xEE && $0.startLBA == 1 }),
               UInt64(mbr.partitions[i].sectors) == min(diskSectors - 1, UInt64(UInt32.max)) {
                mbr.partitions[i].sectors = UInt32(min(imageSectors - 1, UInt64(UInt32.max)))
                writes.append(DiskWrite(offset: Int64(MBR.tableOffset), bytes: mbr.tableBytes))
            }
            return writes
        case .mbr, .none:
            guard var mbr = tables.mbr else { return nil }
            mbr.partitions.removeAll { $0.number == number }
            // An image without a table (a plain ISO: its system area all zeros) got its MBR from inject.
            let untouched = mbr.partitions.isEmpty && !mbr.hasBootCode && mbr.diskSignature == 0
            return [DiskWrite(offset: Int64(MBR.tableOffset), bytes: untouched ? [UInt8](repeating: 0, count: 66) : mbr.tableBytes)]
        }
    }
}
