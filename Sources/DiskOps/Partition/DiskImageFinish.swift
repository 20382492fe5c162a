import EdgeCore
import ISOVerify

/// What a disk image (a raw GPT or MBR disk, not an installer ISO) needs once it lies on a disk
/// larger than itself, decided before anything is written, from the image's own tables, and done
/// after the write and its read-back:
/// - a GPT's backup header and entry array move to the disk's last sectors, and the primary's
///   alternate LBA, last usable LBA and CRCs follow (as `sgdisk -e`), with a protective MBR widened
///   to match: otherwise firmware and `sgdisk -v` see a damaged table;
/// - with `--grow`, the last partition (GPT or MBR) ends at the disk's end (its filesystem is not
///   resized: that is the installed system's job, as cloud-init's growpart does).
/// Installer ISOs are left as they are (inject moves a hybrid's backup GPT when it adds a volume).
/// Before that, the image's sector size is checked against the disk's: a GPT made for 512-byte
/// sectors is not found on a 4096-byte-sector disk, nor the reverse; an MBR, which does not say,
/// is taken for 512-byte sectors and refused on any other disk. Once they agree, every sector
/// number (the GPT's, the MBR's, the protective entry's) counts the disk's logical sectors.
public struct DiskImageFinish: Sendable, Equatable, Encodable {
    public struct GrownPartition: Sendable, Equatable, Encodable {
        public var number: Int
        /// Logical sectors (`sectorSize` bytes), inclusive.
        public var firstSector: UInt64
        public var previousLastSector: UInt64
        public var lastSector: UInt64
        var sectorSize: Int
        public var bytes: Int64 { Int64(lastSector - firstSector + 1) * Int64(sectorSize) }

        enum CodingKeys: String, CodingKey { case number, firstSector, previousLastSector, lastSector }
    }

    /// "gpt" or "mbr".
    public var layout: String
    /// The disk's logical sector size (the image's too): the unit of every sector number here.
    public var sectorSize: Int
    /// The backup GPT header's sector in the image, and on the disk after the move; nil for an MBR.
    public var backupHeaderFrom: UInt64?
    public var backupHeaderTo: UInt64?
    /// The last partition, as `--grow` left it; nil without `--grow`.
    public var grown: GrownPartition?
    /// Why the image's tables were left as it made them (no phases then): the finish would have
    /// written over the image's own data.
    public var notFinished: String?
    /// [backup GPT], [primary GPT + protective MBR], or [MBR table]: each flushed before the next.
    var phases: [[DiskWrite]]
    /// A GPT image's own tables: the only image bytes the phases may write over.
    var imageTables: ImageOwnTables?

    enum CodingKeys: String, CodingKey { case layout, sectorSize, backupHeaderFrom, backupHeaderTo, grown, notFinished }

    /// The finish for `image` (`imageSize` bytes, read through `read`, zeros past its end) written
    /// to `disk`; nil when there is nothing to do (an ISO, an MBR without `--grow`, a GPT already
    /// at the disk's end). Throws a refusal (exit 3) for a sector-size mismatch (an MBR image on a
    /// disk without 512-byte sectors included), and for `--grow`
    /// on an image it cannot grow, before anything is written.
    /// `imageEnd` is the image's length when known before writing; nil for a stream that does not
    /// state it (`imageSize` is then only a bound), whose finish is checked again once written.
    static func plan(imagePath: String, imageSize: Int64, imageEnd: Int64?, diskPath: String, diskSize: Int64, diskSectorSize: Int,
                     grow: Bool, read: (Int64, Int) throws -> [UInt8]) throws -> DiskImageFinish? {
        let imageSectorSize = try GPT.headerSectorSize(read)
        if let imageSectorSize, imageSectorSize != diskSectorSize {
            throw EdgeError(.refused, "\(imagePath) has its GPT at byte \(imageSectorSize) (made for \(imageSectorSize)-byte sectors), but \(diskPath) has \(diskSectorSize)-byte logical sectors: firmware and Linux would look for the table at byte \(diskSectorSize) and find none",
                            hint: "Use an image made for \(diskSectorSize)-byte sectors, or a disk with \(imageSectorSize)-byte sectors; no flag overrides this.")
        }
        let cannotGrow = { (why: String) in
            EdgeError(.refused, "cannot --grow the last partition of \(imagePath): \(why)", hint: "Leave out --grow.")
        }
        if VolumeLabelProbe.iso9660Size(try read(0, VolumeLabelProbe.bytesNeeded)) != nil {
            guard !grow else { throw cannotGrow("it is an ISO 9660 installer image, not a disk image") }
            return nil
        }
        let tables: TargetTables
        do {
            tables = try TargetTables.read(diskSize: imageSize, sectorSize: diskSectorSize, read: read)
        } catch {
            // A table edgeflash cannot read is written as the image has it, as before; a GPT's is said so.
            let why = (error as? EdgeError)?.message ?? "\(error)"
            guard !grow else { throw cannotGrow(why) }
            return imageSectorSize == nil ? nil : writtenAsIs(invalidGPT: why, sectorSize: diskSectorSize)
        }
        let diskSectors = UInt64(diskSize / Int64(diskSectorSize))
        switch tables.layout {
        case .gpt:
            let gpt = tables.gpt!
            if UInt64(gpt.entryCount) * UInt64(gpt.entrySize) < UInt64(GPT.minimumEntryArrayBytes) {
                let why = "its entry array holds \(gpt.entryCount) entries of \(gpt.entrySize) bytes, less than the \(GPT.minimumEntryArrayBytes) bytes UEFI requires"
                guard !grow else { throw cannotGrow(why) }
                return writtenAsIs(invalidGPT: why, sectorSize: diskSectorSize)
            }
            guard grow || gpt.backupLBA != diskSectors - 1 else { return nil }
            var grown: GrownPartition?
            if grow {
                guard let last = gpt.partitions.max(by: { $0.lastLBA < $1.lastLBA }) else { throw cannotGrow("its GPT has no partitions") }
                grown = GrownPartition(number: last.number, firstSector: last.firstLBA, previousLastSector: last.lastLBA, lastSector: 0,
                                       sectorSize: diskSectorSize)
            }
            let phases = try tables.gptWrites(diskSectors: diskSectors) { table in
                guard let number = grown?.number else { return }
                try table.setLastLBA(of: number, to: table.lastUsableLBA)
                grown?.lastSector = table.lastUsableLBA
            }
            let finish = DiskImageFinish(layout: "gpt", sectorSize: diskSectorSize, backupHeaderFrom: gpt.backupLBA,
                                         backupHeaderTo: diskSectors - 1, grown: grown, phases: phases,
                                         imageTables: ImageOwnTables(gpt))
            let checked = finish.leftAsIs(ifOverwritingImageOf: min(imageEnd ?? 0, diskSize))
            if grow, let why = checked.notFinished { throw cannotGrow(why) }
            return checked
        case .mbr:
            // An MBR does not say which sector size it counts: the disks such images are made for
            // have 512-byte sectors, and on a larger one every partition would lie that many times
            // further in, past its filesystem. An ISO hybrid (returned above) boots from its ISO 9660.
            guard diskSectorSize == 512 else {
                throw EdgeError(.refused, "\(imagePath) is an MBR disk image, whose partitions count 512-byte sectors as far as anything can tell, but \(diskPath) has \(diskSectorSize)-byte logical sectors: each partition would start and end \(diskSectorSize / 512) times further in, where its filesystem is not",
                                hint: "Use a disk with 512-byte sectors, or an image with a GPT made for \(diskSectorSize)-byte sectors; no flag overrides this.")
            }
            guard grow else { return nil }
            var mbr = tables.mbr!
            guard var last = mbr.partitions.filter({ $0.type != 0xEE && $0.sectors > 0 })
                .max(by: { UInt64($0.startLBA) + UInt64($0.sectors) < UInt64($1.startLBA) + UInt64($1.sectors) }) else {
                throw cannotGrow("its MBR has no partitions")
            }
            guard ![0x05, 0x0F, 0x85].contains(last.type) else {
                throw cannotGrow("its last partition (\(last.number)) is an extended partition: grow the logical partition inside it yourself")
            }
            guard diskSectors > UInt64(last.startLBA) else { throw cannotGrow("partition \(last.number) starts past the disk's end") }
            // An MBR entry counts at most 2^32-1 sectors (2 TiB): the rest of a larger disk stays free.
            let sectors = UInt32(min(diskSectors - UInt64(last.startLBA), UInt64(UInt32.max)))
            let grown = GrownPartition(number: last.number, firstSector: UInt64(last.startLBA),
                                       previousLastSector: UInt64(last.startLBA) + UInt64(last.sectors) - 1,
                                       lastSector: UInt64(last.startLBA) + UInt64(sectors) - 1, sectorSize: diskSectorSize)
            last.sectors = sectors
            mbr.place(last)
            return DiskImageFinish(layout: "mbr", sectorSize: diskSectorSize, grown: grown,
                                   phases: [[DiskWrite(offset: Int64(MBR.tableOffset), bytes: mbr.tableBytes)]])
        case .none:
            guard !grow else { throw cannotGrow("it has no partition table") }
            return nil
        }
    }

    public var writes: [DiskWrite] { phases.flatMap { $0 } }

    /// No finish for an image whose GPT firmware and `sgdisk -v` would not accept: written as the
    /// image has it (as dd would), the summary saying so.
    static func writtenAsIs(invalidGPT why: String, sectorSize: Int) -> DiskImageFinish {
        DiskImageFinish(layout: "gpt", sectorSize: sectorSize,
                        notFinished: "the image's GPT is not valid (\(why)), so it was written as the image has it and firmware or sgdisk -v may reject it", phases: [])
    }

    /// This finish, or when it would write over the image's data in its first `imageEnd` bytes
    /// (not its own tables), none: the image is left as written, its tables as it made them, and
    /// the summary says why. What bmaptool or dd would leave, rather than a disk whose data
    /// silently differs from the image.
    func leftAsIs(ifOverwritingImageOf imageEnd: Int64) -> DiskImageFinish {
        guard let imageTables, let overwritten = imageTables.dataOverwritten(by: writes, imageEnd: imageEnd) else { return self }
        let why = "its GPT covers only its first \(ByteCount.human(imageTables.gptEnd)) (backup header at sector \(backupHeaderFrom ?? 0)) and the image goes on to \(ByteCount.human(imageEnd)): moving the backup GPT to the disk's end would overwrite the image's own data at bytes \(overwritten.lowerBound)-\(overwritten.upperBound - 1)"
        return DiskImageFinish(layout: layout, sectorSize: sectorSize, backupHeaderFrom: backupHeaderFrom, notFinished: why, phases: [])
    }

    /// Where the moved backup GPT goes (its entry array and header, the first phase): zeroed again
    /// when the finish fails, so a stick whose first MiB was blanked keeps no table at its end for
    /// gdisk to offer to restore or inject to find. Empty for an MBR.
    var backupRanges: [Range<Int64>] {
        guard layout == "gpt", let backup = phases.first else { return [] }
        return backup.map(\.range)
    }

    /// The table bytes inside the image's first `imageSize` bytes: what `verify --against` expects
    /// there instead of the image's own.
    public func overlay(imageSize: Int64) -> [DiskWrite] {
        writes.compactMap { $0.clipped(to: 0..<imageSize) }
    }

    /// Throws a mismatch unless `tables`, read back from `path` once the finish was applied, hold
    /// what it wrote: the backup GPT at the disk's last sector, valid, and the grown partition's end.
    func check(readBack tables: TargetTables, on path: String) throws {
        let hint = "The disk may be failing; try another one, or write the image again."
        if layout == "gpt" {
            guard tables.layout == .gpt, let gpt = tables.gpt, gpt.backupLBA == backupHeaderTo, gpt.backupValid else {
                throw EdgeError(.mismatch, "the GPT on \(path) does not read back with a valid backup header at sector \(backupHeaderTo ?? 0)", hint: hint)
            }
        }
        if let grown {
            let found: Bool
            switch tables.layout {
            case .gpt: found = tables.gpt!.partitions.contains { $0.number == grown.number && $0.lastLBA == grown.lastSector }
            default: found = tables.mbr?.partitions.contains { $0.number == grown.number && UInt64($0.startLBA) + UInt64($0.sectors) - 1 == grown.lastSector } ?? false
            }
            guard found else {
                throw EdgeError(.mismatch, "the partition table on \(path) does not read back with partition \(grown.number) ending at sector \(grown.lastSector)", hint: hint)
            }
        }
    }
}
