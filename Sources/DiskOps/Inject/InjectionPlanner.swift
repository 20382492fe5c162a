import EdgeCore
import Foundation
import ISOVerify

/// What to put on the target: the user-data files, on which filesystem, and what is known about it.
public struct InjectionRequest: Sendable {
    public enum FileSystem: String, Sendable, Codable, CaseIterable { case vfat, iso9660 }

    public var fileSystem: FileSystem
    /// The partition's size; nil picks the default (64 MiB for FAT32, the ISO rounded up to 1 MiB).
    public var size: Int64?
    public var files: [FAT32Volume.File]
    /// The size of the image written to the target, when the caller knows it (`write`); otherwise
    /// the image's end is read from its ISO9660 header and partition tables.
    public var imageSize: Int64?
    /// An image file may grow to hold the volume; a block device may not.
    public var growable: Bool
    public var date: Date

    public init(fileSystem: FileSystem = .vfat, size: Int64? = nil, files: [FAT32Volume.File],
                imageSize: Int64? = nil, growable: Bool = false, date: Date = Date()) {
        self.fileSystem = fileSystem
        self.size = size
        self.files = files
        self.imageSize = imageSize
        self.growable = growable
        self.date = date
    }

    public var label: String { fileSystem == .vfat ? "CIDATA" : "cidata" }
    public static let defaultFATSize: Int64 = 64 << 20
}

/// The decided injection: where the partition goes, in which table, and every byte to write.
public struct InjectionPlan: Sendable {
    public enum Layout: String, Sendable, Codable {
        case mbr        // DOS table (isohybrid, possibly partition 1 from LBA 0): one entry added
        case gpt        // GPT behind a protective or hybrid MBR (grub-mkrescue, Kairos): entry added, backup moved to the disk's end
        case none       // no table: an MBR is created in sector 0's empty table area
    }
    public var layout: Layout
    public var partitionNumber: Int
    public var start: Int64
    public var size: Int64
    public var imageEnd: Int64
    public var replacesExisting: Bool
    /// The target's size after the injection (larger than before only for a grown image file).
    public var targetSize: Int64
    public var fileSystem: InjectionRequest.FileSystem
    public var label: String
    /// The writes in the order they must reach the medium, each phase flushed before the next, so a
    /// stick pulled (or a process killed) at any point is left consistent:
    /// 1. the first 34 KiB of the volume's place (and of a replaced volume that overlaps it) zeroed:
    ///    no half-written filesystem can carry the CIDATA label from here on;
    /// 2. the volume's contents (FATs, directory, files; the ISO's body);
    /// 3. the rest of the volume's first 34 KiB (FSInfo, backup boot sector, the FATs' first entries;
    ///    the ISO's volume descriptors), then its first sector (the FAT boot sector) last of all:
    ///    only now is it a volume, and a complete one;
    /// 4. the backup GPT at the disk's end (nothing points at it yet);
    /// 5. the primary table: GPT entries and header, then the protective MBR's size; or the MBR's
    ///    64 table bytes (one sector).
    /// Until 5, the old table describes the disk; a replaced volume that was interrupted reads as
    /// no volume (its header is zero), and running inject again finds and replaces it.
    public var phases: [[DiskWrite]]
    public var writes: [DiskWrite] { phases.flatMap { $0 } }

    /// Where the backup GPT goes at the disk's end (phase 4): zeroed again when a write session's
    /// injection fails and the stick is blanked. Empty for an MBR.
    var backupRanges: [Range<Int64>] {
        guard layout == .gpt, phases.count == 5 else { return [] }
        return phases[3].map(\.range)
    }
}

/// Decides an injection from the target's bytes. Pure: `read(offset, count)` supplies the bytes
/// (zero-padded past the end), so it runs on byte fixtures as well as on sticks.
public enum InjectionPlanner {
    static let sector: Int64 = 512
    static let alignment: Int64 = 1 << 20
    static let maximumSize: Int64 = (2 << 40) - (1 << 20)

    /// Refuses a disk whose logical sectors are not 512 bytes (a 4Kn disk), before anything is
    /// written: the volume and its table entry are planned in 512-byte sectors.
    static func refuseUnlessClassicSectors(_ sectorSize: Int, of path: String) throws {
        guard Int64(sectorSize) != sector else { return }
        throw EdgeError(.refused, "\(path) has \(sectorSize)-byte logical sectors: a user-data volume is added to disks with 512-byte sectors only",
                        hint: "Write the image without --user-data, or use a disk with 512-byte sectors.")
    }

    public static func plan(_ request: InjectionRequest, targetSize: Int64,
                            read: (Int64, Int) throws -> [UInt8]) throws -> InjectionPlan {
        let survey = try InjectionSurvey(targetSize: targetSize, imageSize: request.imageSize, read: read)
        let tables = survey.tables, layout = tables.layout, existing = survey.existing, imageEnd = survey.imageEnd

        let volume = try volumeBytes(request)
        let size = request.size ?? volume.defaultSize
        let minimumMiB = (volume.minimumSize + alignment - 1) / alignment
        guard size % sector == 0 else {
            throw EdgeError(.malformed, "--size \(size) bytes is not a whole number of 512-byte sectors",
                            hint: "Use a size in M or G, like \(max(minimumMiB, 64))M, or leave --size out for the default.")
        }
        guard size >= volume.minimumSize else {
            throw EdgeError(.malformed, "--size \(size) bytes is too small for the \(request.fileSystem.rawValue) user-data volume: it needs at least \(volume.minimumSize) bytes",
                            hint: "Use --size \(minimumMiB)M or more, or leave --size out for the default.")
        }
        // MBR entries and FAT32 stop at 2 TiB; an ISO9660 volume larger than its few files is only
        // waste (and an image file would grow to match).
        guard size <= Self.maximumSize else {
            throw EdgeError(.malformed, "--size \(size) bytes is more than a user-data volume may have (just under 2 TiB)",
                            hint: "Leave --size out for the default (\(request.fileSystem == .vfat ? "64M" : "the ISO's own size")).")
        }
        // Never before 1 MiB: sector 0 holds the table, and 1 MiB is what every partitioner aligns to.
        let start = max(alignUp(imageEnd, alignment), alignment)
        let tailSectors = layout == .gpt ? Int64(tables.gpt!.entryArraySectors + 1) : 0
        var finalSize = targetSize
        if request.growable { finalSize = max(targetSize, alignUp(start + size + tailSectors * sector, alignment)) }
        if imageEnd > finalSize {
            throw EdgeError(.refused, "the target (\(finalSize) bytes) is smaller than the image on it (\(imageEnd) bytes)",
                            hint: "Write the image to a larger stick first.")
        }
        let usableEnd = finalSize - tailSectors * sector
        guard start + size <= usableEnd else {
            let free = max(0, usableEnd - start)
            throw EdgeError(.refused, "no room for a \(size)-byte user-data volume after the image: \(free) bytes free after byte \(start)",
                            hint: free >= volume.minimumSize ? "Use --size \(free / alignment)M or a larger stick." : "Use a larger stick.")
        }
        if layout != .gpt, (start + size) / sector > Int64(UInt32.max) {
            throw EdgeError(.refused, "the volume would end beyond 2 TiB, which an MBR cannot describe")
        }

        // Phases 1-3: clear the header area, write the body, then the header (see InjectionPlan.phases).
        let headerBytes = Int64(VolumeLabelProbe.bytesNeeded)
        let header = start..<(start + headerBytes)
        var clear = [DiskWrite(offset: start, bytes: [UInt8](repeating: 0, count: Int(headerBytes)))]
        if let existing, existing.first != start, existing.first < start + size, existing.end > start {
            clear.append(DiskWrite(offset: existing.first, bytes: [UInt8](repeating: 0, count: Int(min(headerBytes, existing.end - existing.first)))))
        }
        let volumeWrites = try volume.writes(start, size)
        // The volume's first sector (the FAT boot sector) is the very last of its bytes written.
        let headerRest = volumeWrites.compactMap { $0.clipped(to: (start + sector)..<header.upperBound) }
        let firstSector = volumeWrites.compactMap { $0.clipped(to: start..<(start + sector)) }
        var phases = [clear, volumeWrites.flatMap { $0.excluding(header) }, headerRest + firstSector]
        let entry: InjectionSurvey.Entry
        switch layout {
        case .gpt:
            entry = .newGPT(firstLBA: UInt64(start / sector), lastLBA: UInt64((start + size) / sector - 1))
        case .mbr, .none:
            if layout == .none, try read(0, 512).dropFirst(446).prefix(64).contains(where: { $0 != 0 }) {
                throw EdgeError(.refused, "sector 0 holds data but no partition table: refusing to write a table over it")
            }
            // 0x0C: FAT32 with LBA. ISO9660 has no MBR type of its own; 0x83 (Linux data) is what
            // Linux-made data partitions use, and the installer probes by label, not type.
            entry = .newMBR(type: request.fileSystem == .vfat ? 0x0C : 0x83, startLBA: UInt32(start / sector), sectors: UInt32(size / sector))
        }
        guard let number = survey.number else {
            throw EdgeError(.refused, layout == .gpt ? "the GPT has no free entry for the user-data partition"
                                                     : "the MBR has no free entry for the user-data partition (all four are used)")
        }
        phases += try survey.tableWrites(number: number, entry: entry, diskSize: finalSize)
        return InjectionPlan(layout: layout, partitionNumber: number, start: start, size: size, imageEnd: imageEnd,
                             replacesExisting: existing != nil, targetSize: finalSize, fileSystem: request.fileSystem,
                             label: request.label, phases: phases)
    }

    /// The GPT name of the user-data partition (how an interrupted one is recognised again).
    static let partitionName = "user-data"

    private struct VolumeBytes {
        var defaultSize: Int64
        var minimumSize: Int64
        var writes: (Int64, Int64) throws -> [DiskWrite]
    }

    private static func volumeBytes(_ request: InjectionRequest) throws -> VolumeBytes {
        switch request.fileSystem {
        case .vfat:
            let volumeID = UInt32(truncatingIfNeeded: Int64(request.date.timeIntervalSince1970))
            return VolumeBytes(defaultSize: InjectionRequest.defaultFATSize, minimumSize: FAT32Volume.minimumSize) { start, size in
                try FAT32Volume(size: size)
                    .writes(label: request.label, files: request.files, hiddenSectors: UInt32(start / sector),
                            volumeID: volumeID, date: request.date)
                    .map { DiskWrite(offset: start + $0.offset, bytes: $0.bytes) }
            }
        case .iso9660:
            let image = try ISO9660Volume.make(label: request.label, files: request.files)
            let rounded = alignUp(Int64(image.count), sector)
            return VolumeBytes(defaultSize: alignUp(Int64(image.count), alignment), minimumSize: rounded) { start, _ in
                [DiskWrite(offset: start, bytes: image + [UInt8](repeating: 0, count: Int(rounded) - image.count))]
            }
        }
    }

    static func alignUp(_ value: Int64, _ to: Int64) -> Int64 { (value + to - 1) / to * to }
}
