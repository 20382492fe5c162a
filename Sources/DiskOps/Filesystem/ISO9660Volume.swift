import EdgeCore
import ISOVerify
import Foundation

/// An ISO9660 volume (Joliet + Rock Ridge names) holding the given files, mastered by xorriso into
/// a temporary file whose bytes are then copied into the partition. No mastering engine of our own.
public enum ISO9660Volume {
    public static func make(label: String, files: [FAT32Volume.File]) throws -> [UInt8] {
        let fm = FileManager.default
        let work = fm.temporaryDirectory.appendingPathComponent("edgeflash-iso-\(UUID().uuidString.prefix(8))")
        let root = work.appendingPathComponent("root")
        // The files hold secrets: owner-only from the moment they exist.
        try fm.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: work.path)
        defer { try? fm.removeItem(at: work) }
        for file in files {
            let path = root.appendingPathComponent(file.name).path
            guard fm.createFile(atPath: path, contents: Data(file.contents), attributes: [.posixPermissions: 0o600]) else {
                throw EdgeError(.malformed, "cannot stage \(file.name) in \(work.path) for xorriso")
            }
        }
        let output = work.appendingPathComponent("volume.iso")
        let result: ChildProcess.Result
        do {
            result = try ChildProcess.run("xorriso", ["-as", "mkisofs", "-quiet", "-output", output.path,
                                                      "-volid", label, "-joliet", "-rock", root.path], mergeOutput: true)
        } catch {
            throw EdgeError(.malformed, "could not run xorriso to make the ISO9660 volume: \(error.message)",
                            hint: "Install xorriso (apt-get install xorriso), or use --fs vfat.")
        }
        guard result.succeeded, let data = fm.contents(atPath: output.path) else {
            // xorriso's own reason: its FAILURE/SORRY lines name files, never their contents.
            let reason = result.stdout.split(separator: "\n").filter { $0.contains("FAILURE") || $0.contains("SORRY") }
                .suffix(3).joined(separator: "; ")
            throw EdgeError(.malformed, "xorriso failed to make the ISO9660 volume (\(result.outcome))" + (reason.isEmpty ? "" : ": \(reason)"),
                            hint: "Check the space in \(fm.temporaryDirectory.path), or use --fs vfat.")
        }
        return Array(data)
    }
}

extension ISO9660Volume {
    /// Root directories larger than this are not a user-data volume's (it holds two files).
    static let rootDirectoryLimit = 1 << 20

    /// A file in the root directory of an ISO 9660 volume, found by its Rock Ridge name (what Linux
    /// shows when it mounts the volume, and what xorriso's `-rock` writes) or, without one, by its
    /// ISO name with the ";1" version dropped, and read from its extent over `read(offset, count)`
    /// (offsets relative to the volume's first byte). nil when the root has no such file. Throws
    /// when the descriptors or the directory are broken, or the file exceeds `limit`.
    public static func readRootFile(named name: String, limit: Int, read: (Int64, Int) throws -> [UInt8]) throws -> [UInt8]? {
        let sectorSize = Int64(ISO9660.sectorSize)
        let descriptors = try VolumeDescriptorSet.parse { try read(Int64($0) * sectorSize, ISO9660.sectorSize) }
        let primary = ByteReader(try read(Int64(descriptors.primary.sector) * sectorSize, ISO9660.sectorSize),
                                 structure: "primary volume descriptor")
        let rootLBA = try primary.u32le(156 + 2), rootBytes = Int(try primary.u32le(156 + 10))
        guard rootBytes <= rootDirectoryLimit else {
            throw EdgeError(.malformed, "its root directory declares \(rootBytes) bytes, more than the \(rootDirectoryLimit) expected")
        }
        let directory = ByteReader(try read(Int64(rootLBA) * sectorSize, rootBytes), structure: "ISO 9660 root directory")
        var offset = 0
        while offset + 34 <= directory.count {
            let length = Int(try directory.u8(offset))
            // Records never cross a sector: a zero length means the rest of this sector is padding.
            guard length > 0 else { offset = (offset / ISO9660.sectorSize + 1) * ISO9660.sectorSize; continue }
            guard length >= 34 else { throw EdgeError(.malformed, "a root directory record at byte \(offset) is \(length) bytes, shorter than a record's 34") }
            let record = ByteReader(try directory.slice(offset, length), structure: "ISO 9660 directory record")
            offset += length
            let flags = try record.u8(25), nameLength = Int(try record.u8(32))
            let isoName = try record.slice(33, nameLength)
            guard flags & 0x02 == 0, isoName != [0], isoName != [1] else { continue }   // directories, "." and ".."
            let systemUse = 33 + nameLength + (nameLength % 2 == 0 ? 1 : 0)
            let found = try rockRidgeName(record, from: systemUse)
                ?? String(decoding: isoName.prefix { $0 != UInt8(ascii: ";") }, as: UTF8.self).lowercased()
            guard found == name else { continue }
            let size = Int(try record.u32le(10))
            guard size <= limit else {
                throw EdgeError(.malformed, "\(name) on the ISO 9660 volume is \(size) bytes, more than the \(limit) expected")
            }
            return try read(Int64(try record.u32le(2)) * sectorSize, size)
        }
        return nil
    }

    /// The Rock Ridge name (its "NM" entries, joined) in a record's system use area; nil when none.
    private static func rockRidgeName(_ record: ByteReader, from start: Int) throws -> String? {
        var name: [UInt8]?
        var at = start
        while at + 4 <= record.count {
            let signature = try record.slice(at, 2), length = Int(try record.u8(at + 2))
            guard length >= 4 else { break }
            if signature == Array("NM".utf8), length >= 5 {
                name = (name ?? []) + (try record.slice(at + 5, length - 5))
            }
            at += length
        }
        return name.map { String(decoding: $0, as: UTF8.self) }
    }
}
