import ISOVerify

/// A GPT disk image's own table structures, in bytes: sector 0 (its MBR), the primary header and
/// entry array, and its backup entry array and header when they are valid. A finish may rewrite
/// these; every other byte of the image is its data, which nothing done after the write may touch
/// (an image whose file goes on past its GPT's backup header, written to a disk barely larger).
struct ImageOwnTables: Sendable, Equatable {
    let ranges: [Range<Int64>]
    /// Where the GPT says the image ends: after its backup header.
    let gptEnd: Int64

    /// `gpt` as `TargetTables` read it: its sectors checked to lie inside the image.
    init(_ gpt: GPT) {
        let sector = Int64(gpt.sectorSize), arraySectors = Int64(gpt.entryArraySectors)
        let entries = Int64(gpt.entriesLBA) * sector, backup = Int64(gpt.backupLBA) * sector
        var ranges = [0..<sector, sector..<(2 * sector), entries..<(entries + arraySectors * sector)]
        if gpt.backupValid, backup >= arraySectors * sector { ranges.append((backup - arraySectors * sector)..<(backup + sector)) }
        self.ranges = ranges
        gptEnd = backup + sector
    }

    /// The first bytes of the image's data (within its first `imageEnd` bytes, outside its own
    /// tables) that `writes` would overwrite; nil when they write only over tables or past the image.
    func dataOverwritten(by writes: [DiskWrite], imageEnd: Int64) -> Range<Int64>? {
        for write in writes {
            guard let part = write.clipped(to: 0..<imageEnd)?.range else { continue }
            if !ranges.contains(where: { $0.lowerBound <= part.lowerBound && part.upperBound <= $0.upperBound }) { return part }
        }
        return nil
    }
}
