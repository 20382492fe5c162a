import EdgeCore
import ISOVerify

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
        guard let number = survey.number,
              let stick = try? TargetTables.read(diskSize: diskSize, sectorSize: survey.tables.sectorSize, read: readDisk), stick.layout == survey.tables.layout || (survey.tables.layout == .none && stick.layout == .mbr) else { return nil }
        let entry: InjectionSurvey.Entry
        let first: Int64, end: Int64
        switch survey.tables.layout {
        case .gpt:
            guard let bytes = stick.gpt!.entryBytes(number), bytes != survey.tables.gpt!.entryBytes(number),
                  let p = stick.gpt!.partitions.first(where: { $0.number == number }) else { return nil }
            entry = .gptBytes(bytes)
            (first, end) = (Int64(p.firstLBA) * 512, (Int64(p.lastLBA) + 1) * 512)
        case .mbr, .none:
            guard let p = stick.mbr?.partitions.first(where: { $0.number == number }),
                  p != survey.tables.mbr?.partitions.first(where: { $0.number == number }) else { return nil }
            entry = .mbr(p)
            (first, end) = (Int64(p.startLBA) * 512, (Int64(p.startLBA) + Int64(p.sectors)) * 512)
        }
        guard first >= survey.imageEnd, first < end, end <= diskSize,
              let writes = try? survey.tableWrites(number: number, entry: entry, diskSize: diskSize) else { return nil }
        return InjectionFootprint(layout: survey.tables.layout, partitionNumber: number, volumeStart: first, volumeSize: end - first,
                                  tableWrites: writes.flatMap { $0 })
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
            if let at = write.bytes.indices.first(where: { stick[$0] != write.bytes[$0] }) { return write.offset + Int64(at) }
        }
        return nil
    }

    /// The byte ranges inject rewrote, inside the image, then after it; touching ranges merged
    /// when both are whole sectors or both are not (the MBR's table stays apart from the GPT's).
    public func rewrittenRanges(imageSize: Int64) -> (inImage: [Range<Int64>], afterImage: [Range<Int64>]) {
        Self.rewrittenRanges(tableWrites, imageSize: imageSize)
    }

    /// The byte ranges `writes` cover, inside the image, then after it (for the tables a disk
    /// image's finish rewrote as well as inject's).
    public static func rewrittenRanges(_ writes: [DiskWrite], imageSize: Int64) -> (inImage: [Range<Int64>], afterImage: [Range<Int64>]) {
        let merged = writes.map { $0.offset..<($0.offset + Int64($0.bytes.count)) }
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
        range.lowerBound % 512 == 0 && range.upperBound % 512 == 0
    }

    /// "bytes 446-511", "LBA 1" or "LBA 2-33": whole sectors of the disk (`sectorSize` bytes) by
    /// LBA, anything else by byte.
    public static func describe(_ range: Range<Int64>, sectorSize: Int) -> String {
        let sector = Int64(sectorSize)
        if range.lowerBound % sector == 0, range.upperBound % sector == 0 {
            let first = range.lowerBound / sector, last = range.upperBound / sector - 1
            return first == last ? "LBA \(first)" : "LBA \(first)-\(last)"
        }
        return "bytes \(range.lowerBound)-\(range.upperBound - 1)"
    }
}
