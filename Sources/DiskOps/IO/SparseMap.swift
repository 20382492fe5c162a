import FileIO
#if canImport(Glibc)
import Glibc
#endif

/// The data extents of a sparse image file, found with SEEK_DATA/SEEK_HOLE: a raw disk image made
/// with `truncate` and a filesystem holds mostly holes, which need not be read, and whose place
/// on the target is zeroed (BLKZEROOUT) rather than written.
public enum SparseMap {
    // <unistd.h> defines them only under _GNU_SOURCE, which Swift's Glibc module does not set.
    private static let seekData: CInt = 3, seekHole: CInt = 4

    /// The map of `file`; nil when it has no hole (every byte is written as usual) or the
    /// filesystem cannot tell.
    public static func of(_ file: OpenFile) -> ImageMap? {
        var ranges: [Range<Int64>] = []
        var offset: Int64 = 0
        while offset < file.size {
            let data = lseek(file.descriptor, off_t(offset), seekData)
            // ENXIO: no data after offset. Anything else (EINVAL: not supported) says nothing about
            // holes: no map, every byte is written.
            if data < 0 { if errno == ENXIO { break } else { return nil } }
            let hole = lseek(file.descriptor, data, seekHole)
            guard hole > data else { return nil }
            // Extents start on filesystem blocks; the write's sectors are never larger than 4 KiB.
            let start = Int64(data) / 4096 * 4096
            let end = min(file.size, (Int64(hole) + 4095) / 4096 * 4096)
            if let last = ranges.last, last.upperBound >= start {
                ranges[ranges.count - 1] = last.lowerBound..<end
            } else {
                ranges.append(start..<end)
            }
            offset = Int64(hole)
        }
        guard ranges != [0..<file.size] else { return nil }
        if ranges.isEmpty { ranges = [0..<min(file.size, 4096)] }  // all holes: still write the first block
        return ImageMap(ranges: ranges, zeroHoles: true, source: "the sparse file's data extents")
    }
}
