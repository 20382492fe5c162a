import EdgeCore
import ISOVerify

/// The partition table on a stick or image file, as Linux (which runs the installer) will read it,
/// from the target's own bytes: hostile input, so parsed by ISOVerify's checked MBR and GPT and
/// turned into byte offsets with checked arithmetic only. Anything that points where no disk
/// reaches is a precise error (exit 6), never a trap. Sector numbers, the MBR's as the GPT's, count
/// the disk's logical sectors (`sectorSize` bytes).
struct TargetTables {
    /// A partition that exists, in bytes: `first..<end`.
    struct Slot {
        var number: Int
        var first: Int64
        var end: Int64
    }

    var layout: InjectionPlan.Layout
    /// Sector 0's table, when it has the 55 AA signature.
    var mbr: MBR?
    /// The GPT, when it is the table (`layout == .gpt`) or lies in the image beside an MBR.
    var gpt: GPT?
    /// The partitions of the table in use (a protective 0xEE entry is not one).
    var partitions: [Slot]
    /// Where the table structures end: the GPT's primary entry array, and its backup header when
    /// that sits short of the disk's end (the image's own).
    var structuresEnd: Int64
    /// The GPT in use was read from the backup at the disk's end: the primary is damaged.
    var gptFromBackup = false
    /// The logical sector size the tables were read with.
    var sectorSize: Int

    /// No disk has 2^48 sectors (128 PiB): a table that names such a sector is damaged or hostile,
    /// and every byte offset computed below stays far from overflowing.
    static let sectorLimit: UInt64 = 1 << 48

    static func read(diskSize: Int64, sectorSize: Int, read: (Int64, Int) throws -> [UInt8]) throws -> TargetTables {
        let mbr = try MBR.parse(read(0, 512))
        let primary = try read(Int64(sectorSize), sectorSize)
        var gpt: GPT?, damage: EdgeError?
        do { gpt = try GPT.parse(header: primary, sectorSize: sectorSize, imageSize: diskSize, read: read) } catch let error as EdgeError { damage = error }
        let fromBackup = gpt == nil
        if fromBackup { gpt = try GPT.backupAsPrimary(damagedPrimary: primary, sectorSize: sectorSize, diskSize: diskSize, read: read) }
        let sector = Int64(sectorSize)

        // A GPT with no MBR at all (a disk blanked at its start, an old backup left at its end):
        // Linux and libparted read neither table there, and which one to keep is not inject's guess.
        if mbr == nil, let gpt {
            let place = fromBackup ? "a backup GPT at its last sector (\(gpt.backupLBA))" : "a GPT at sector 1"
            throw EdgeError(.refused, "the target has no partition table in sector 0 but \(place), left from an earlier layout: inject adds to a written image and will not guess which table to keep",
                            hint: "Write the image to it first (edgeflash write clears both ends), or erase the old table with wipefs -a.")
        }

        // Linux reads a GPT only behind a protective or hybrid MBR (an 0xEE entry) or an MBR
        // without entries; otherwise the MBR is the table, whatever follows it.
        let mbrDefersToGPT = mbr.map { $0.partitions.isEmpty || $0.hasProtectiveEntry } ?? true
        if mbrDefersToGPT, gpt == nil, let damage {
            throw EdgeError(.malformed, "the GPT on the target is damaged: \(damage.message), and no valid backup is at the target's last sector",
                            hint: "Write the image to it again (edgeflash write), then inject.")
        }
        let layout: InjectionPlan.Layout = mbrDefersToGPT && gpt != nil ? .gpt : (mbr?.partitions.isEmpty == false ? .mbr : .none)

        var partitions: [Slot] = []
        switch layout {
        case .gpt:
            for p in gpt!.partitions {
                guard p.firstLBA <= p.lastLBA else {
                    throw malformed("GPT partition \(p.number) starts at sector \(p.firstLBA), after its last sector \(p.lastLBA)")
                }
                partitions.append(Slot(number: p.number, first: try offset(p.firstLBA, sectorSize: sectorSize, "GPT partition \(p.number)"),
                                       end: try offset(p.lastLBA, sectorSize: sectorSize, "GPT partition \(p.number)") + sector))
            }
        case .mbr:
            // 32-bit sector numbers: no overflow in 64-bit byte offsets.
            for p in mbr!.partitions where p.type != 0xEE {
                partitions.append(Slot(number: p.number, first: Int64(p.startLBA) * sector,
                                       end: (Int64(p.startLBA) + Int64(p.sectors)) * sector))
            }
        case .none: break
        }

        var structuresEnd: Int64 = 0
        if let gpt {
            structuresEnd = try offset(gpt.entriesLBA, sectorSize: sectorSize, "the GPT entry array") + Int64(gpt.entryArraySectors) * sector
            if layout == .gpt {
                guard gpt.backupPlacement != .pastEnd else {
                    throw malformed("the GPT puts its backup header at sector \(gpt.backupLBA), past the target's last sector (\(diskSize / sector - 1)): the table is damaged, or the image on the target was cut short")
                }
                // A backup header short of the disk's end is the image's own: part of the image.
                if gpt.backupPlacement == .insideImage { structuresEnd = max(structuresEnd, (Int64(gpt.backupLBA) + 1) * sector) }
            }
        }
        var tables = TargetTables(layout: layout, mbr: mbr, gpt: gpt, partitions: partitions, structuresEnd: structuresEnd,
                                  sectorSize: sectorSize)
        tables.gptFromBackup = fromBackup && layout == .gpt
        return tables
    }

    /// `lba` as a byte offset, refused past `sectorLimit`.
    static func offset(_ lba: UInt64, sectorSize: Int, _ what: String) throws -> Int64 {
        guard lba < sectorLimit else { throw malformed("\(what) reaches sector \(lba), beyond any disk") }
        return Int64(lba) * Int64(sectorSize)
    }

    static func malformed(_ message: String) -> EdgeError {
        EdgeError(.malformed, message,
                  hint: "The partition table on the target is damaged; write the image to it again (edgeflash write), then inject.")
    }
}

extension TargetTables {
    /// The writes that put this GPT, changed by `edit`, on a disk of `diskSectors` sectors: the
    /// backup header and entry array at the disk's last sectors, the primary's alternate and last
    /// usable LBA to match, CRCs fresh (as `sgdisk -e` does), as [backup, primary]: the backup is
    /// flushed before the primary is written (see `GPT.serialized`). `edit` sees the table already
    /// relocated, so the usable sectors reach the new end.
    ///
    /// A protective 0xEE entry that covered the whole image must now cover the whole disk (UEFI
    /// 2.x 5.2.3; fdisk reports "PMBR size mismatch" otherwise). Only its size changes: types, boot
    /// flags and the other entries (a hybrid MBR's) stay exactly as they were. A new partition is
    /// deliberately not added to a hybrid MBR: Linux reads the GPT whenever an 0xEE entry exists,
    /// and a second view of the disk in the MBR only invites firmware and Windows to disagree with it.
    func gptWrites(diskSectors: UInt64, edit: (inout GPT) throws -> Void = { _ in }) throws -> [[DiskWrite]] {
        guard var table = gpt else { throw EdgeError(.malformed, "the disk has no GPT to move") }
        let oldEnd = table.backupLBA + 1
        try table.relocateBackup(diskSectors: diskSectors)
        var protectiveWrite: DiskWrite?
        if var protective = mbr, let i = protective.partitions.firstIndex(where: { $0.type == 0xEE && $0.startLBA == 1 }),
           UInt64(protective.partitions[i].startLBA) + UInt64(protective.partitions[i].sectors) == oldEnd {
            protective.partitions[i].sectors = UInt32(min(diskSectors - 1, UInt64(UInt32.max)))
            protectiveWrite = DiskWrite(offset: Int64(MBR.tableOffset), bytes: protective.tableBytes)
        }
        try edit(&table)
        let serialized = try table.serialized()
        return [serialized.backup, serialized.primary + (protectiveWrite.map { [$0] } ?? [])]
    }
}
