import EdgeCore

/// A file in the root directory of an ISO 9660 volume (a cidata user-data volume), found by name
/// and read, over `read(offset, count)` (offsets relative to the volume's first byte). The Joliet
/// directory is searched when there is one (its names are the files' own), else the primary one
/// (uppercase, `_` for `-`, without the `;1` version). For reading a user-data volume without
/// mounting it; the volume is hostile input: every extent is checked against `volumeSize`.
public enum ISO9660RootFile {
    /// Far above the few sectors a cidata root directory takes.
    static let directoryLimit = 1 << 20

    /// The file's bytes; nil when the root directory has no such file. Throws `.malformed` when
    /// the descriptors, the directory or the file's extent are broken, or the file exceeds `limit`.
    public static func read(named name: String, limit: Int, volumeSize: Int64,
                            read: (Int64, Int) throws -> [UInt8]) throws -> [UInt8]? {
        let (root, joliet) = try rootDirectory(volumeSize: volumeSize, read: read)
        let wanted = joliet ? name : primaryName(name)
        let directory = try extent(root, limit: directoryLimit, volumeSize: volumeSize, what: "the root directory", read: read)
        var at = 0
        while at < directory.count {
            let length = Int(directory[at])
            // Records never cross a sector: a zero length pads to the next one.
            if length == 0 { at = (at / ISO9660.sectorSize + 1) * ISO9660.sectorSize; continue }
            guard length >= 34, at + length <= directory.count else {
                throw EdgeError(.malformed, "the root directory has a record of \(length) bytes at byte \(at)")
            }
            let record = ByteReader(Array(directory[at..<(at + length)]), structure: "ISO 9660 directory record")
            let nameLength = Int(try record.u8(32))
            let raw = try record.slice(33, nameLength)
            let flags = try record.u8(25)
            at += length
            guard flags & 0x02 == 0, nameLength > 1 || (raw.first ?? 0) > 1 else { continue }   // directories, "." and ".."
            var found = joliet ? try ByteReader(raw, structure: "Joliet name").utf16be(0, nameLength) : String(decoding: raw, as: UTF8.self)
            if let semicolon = found.firstIndex(of: ";") { found = String(found[..<semicolon]) }
            if !joliet, found.hasSuffix(".") { found.removeLast() }
            guard found == wanted else { continue }
            let file = try location(record)
            guard file.size <= limit else {
                throw EdgeError(.malformed, "\(name) on the ISO 9660 volume is \(file.size) bytes, more than the \(limit) expected")
            }
            return try extent(file, limit: limit, volumeSize: volumeSize, what: name, read: read)
        }
        return nil
    }

    /// The root directory's extent, from the Joliet descriptor when present, else the primary's.
    private static func rootDirectory(volumeSize: Int64, read: (Int64, Int) throws -> [UInt8]) throws -> (Extent, joliet: Bool) {
        var primary: Extent?
        for index in 16..<(16 + ISO9660.maximumDescriptors) {
            let offset = Int64(index * ISO9660.sectorSize)
            guard offset + Int64(ISO9660.sectorSize) <= volumeSize else { break }
            let r = ByteReader(try read(offset, ISO9660.sectorSize), structure: "volume descriptor at sector \(index)")
            guard try r.slice(1, 5) == Array("CD001".utf8) else { break }
            let type = try r.u8(0)
            if type == 255 { break }
            let root = try location(ByteReader(try r.slice(156, 34), structure: "root directory record"))
            if type == 1, primary == nil { primary = root }
            let escapes = try r.slice(88, 3)
            if type == 2, escapes[0] == 0x25, escapes[1] == 0x2F, [0x40, 0x43, 0x45].contains(escapes[2]) { return (root, true) }
        }
        guard let primary else { throw EdgeError(.malformed, "no ISO 9660 primary volume descriptor at 32 KiB") }
        return (primary, false)
    }

    private struct Extent {
        var start: Int64
        var size: Int
    }

    private static func location(_ record: ByteReader) throws -> Extent {
        Extent(start: Int64(try record.u32le(2)) * Int64(ISO9660.sectorSize), size: Int(try record.u32le(10)))
    }

    private static func extent(_ extent: Extent, limit: Int, volumeSize: Int64, what: String,
                               read: (Int64, Int) throws -> [UInt8]) throws -> [UInt8] {
        guard extent.size <= limit, extent.start + Int64(extent.size) <= volumeSize else {
            throw EdgeError(.malformed, "\(what) (\(extent.size) bytes at byte \(extent.start)) lies outside the \(volumeSize)-byte volume")
        }
        guard extent.size > 0 else { return [] }
        let bytes = try read(extent.start, extent.size)
        guard bytes.count == extent.size else {
            throw EdgeError(.malformed, "\(what) is truncated: \(bytes.count) of \(extent.size) bytes")
        }
        return bytes
    }

    /// How mkisofs spells `name` in the primary directory (ISO 9660 level 1-3 d-characters).
    private static func primaryName(_ name: String) -> String {
        String(name.uppercased().map { $0.isLetter || $0.isNumber || $0 == "." ? $0 : "_" })
    }
}
