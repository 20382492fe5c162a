import EdgeCore

/// What a user-data injection left on a stick the image was written to, as `verify --against`
/// sees it: the partition entry inject added, and what the tables must hold where inject rewrote
/// them. It is found by surveying the image as the planner surveys a stick (same layout, same
/// slot), then reading that slot on the stick. The tables are not skipped: the image's own tables
/// with the stick's entry put in by the planner's own table writer must be exactly what the stick
/// holds, so a byte changed anywhere else in them is still a difference.
public struct InjectionFootprint: Sendable, Equatable {
    public var layout: InjectionPlan.Layout
    public var partitionNumber: Int
    /// The user-data partition on the stick, in bytes.
    public var volumeStart: Int64
    public var volumeSize: Int64
    /// What the stick holds where inject rewrote the tables (inside the image and at the disk's end).
    public var tableWrites: [DiskWrite]

    /// nil when the stick's table has no entry the image lacks in the slot inject uses, or one that
    /// does not lie between the image's end and the disk's: then the stick is compared as written.
    public static func find(imageSize: Int64, readImage: (Int64, Int) throws -> [UInt8],
                            diskSize: Int64, readDisk: (Int64, Int) throws -> [UInt8]) throws -> InjectionFootprint? {
        let survey = try InjectionSurvey(targetSize: diskSize, imageSize: imageSize) { offset, count in
            // The image as it sits on the disk: nothing after its end.
            guard offset < imageSize else { return [UInt8](repeating: 0, count: count) }
            let bytes = try readImage(offset, count)
            return offset + Int64(count) <= imageSize ? bytes : Array(bytes.prefix(Int(imageSize - offset))) + [UInt8](repeating: 0, count: Int(offset + Int64(count) - imageSize))
        }
        guard let slot = survey.slot else { return nil }
        let sector = InjectionSurvey.sector
        let entry: InjectionSurvey.Entry
        let first: Int64, count: Int64
        switch survey.layout {
        case .gpt:
            let image = survey.gpt!
            guard let stick = try GPTTable.readWithFallback(diskSectors: UInt64(diskSize / sector), read: { lba, count in try readDisk(Int64(lba) * sector, count) }),
                  stick.entrySize == image.entrySize, stick.entryCount == image.entryCount,
                  stick.entryBytes(slot) != image.entryBytes(slot) else { return nil }
            let e = stick.entry(slot)
            guard !e.isEmpty, e.lastLBA >= e.firstLBA, e.lastLBA < UInt64(diskSize / sector) else { return nil }
            entry = .gpt(stick.entryBytes(slot))
            (first, count) = (Int64(e.firstLBA), Int64(e.lastLBA - e.firstLBA) + 1)
        case .mbr, .none:
            guard let stick = MBRTable(sector: try readDisk(0, 512)) else { return nil }
            let e = stick.entries[slot]
            guard !e.isEmpty, e != survey.mbr?.entries[slot] else { return nil }
            entry = .mbr(e)
            (first, count) = (Int64(e.firstLBA), Int64(e.sectorCount))
        }
        let start = first * sector, size = count * sector
        guard start >= survey.imageEnd, size > 0, start + size <= diskSize else { return nil }
        return InjectionFootprint(layout: survey.layout, partitionNumber: slot + 1, volumeStart: start, volumeSize: size,
                                  tableWrites: survey.tableWrites(slot: slot, entry: entry, diskSize: diskSize).flatMap { $0 })
    }

    /// The table bytes inside the image's first `imageSize` bytes: what the comparison expects there
    /// instead of the image's own bytes.
    public func overlay(imageSize: Int64) -> [DiskWrite] {
        tableWrites.compactMap { $0.clipped(to: 0..<imageSize) }
    }

    /// The first byte after the image where the stick's tables differ from what inject writes there
    /// (the backup GPT at the disk's end); nil when they match.
    public func firstDifferenceBeyond(imageSize: Int64, readDisk: (Int64, Int) throws -> [UInt8]) throws -> Int64? {
        for write in tableWrites.compactMap({ $0.clipped(to: imageSize..<Int64.max) }) {
            let stick = try readDisk(write.offset, write.bytes.count)
            if let at = zip(stick, write.bytes).firstIndex(where: { $0 != $1 }) { return write.offset + Int64(at) }
        }
        return nil
    }

    /// The byte ranges inject rewrote, inside the image, then after it; touching ranges merged
    /// when both are whole sectors or both are not (the MBR's table stays apart from the GPT's).
    public func rewrittenRanges(imageSize: Int64) -> (inImage: [Range<Int64>], afterImage: [Range<Int64>]) {
        let merged = tableWrites.map { $0.offset..<($0.offset + Int64($0.bytes.count)) }
            .sorted { $0.lowerBound < $1.lowerBound }
            .reduce(into: [Range<Int64>]()) { ranges, range in
                if let last = ranges.last, range.lowerBound <= last.upperBound, Self.isSectors(last) == Self.isSectors(range) {
                    ranges[ranges.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
                } else {
                    ranges.append(range)
                }
            }
        return (merged.filter { $0.lowerBound < imageSize }, merged.filter { $0.lowerBound >= imageSize })
    }

    private static func isSectors(_ range: Range<Int64>) -> Bool {
        range.lowerBound % InjectionSurvey.sector == 0 && range.upperBound % InjectionSurvey.sector == 0
    }

    /// "bytes 446-511" or "LBA 1-33": whole sectors by LBA, anything else by byte.
    public static func describe(_ range: Range<Int64>) -> String {
        if isSectors(range) {
            return "LBA \(range.lowerBound / InjectionSurvey.sector)-\(range.upperBound / InjectionSurvey.sector - 1)"
        }
        return "bytes \(range.lowerBound)-\(range.upperBound - 1)"
    }
}
