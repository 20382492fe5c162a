import Foundation

/// A file given as an image that edgeflash must not write raw, told by its first bytes: a format
/// it does not decode (bzip2, lz4, a zip archive, a qcow2 disk...), or something that is clearly
/// not a disk image at all (the bmap, checksum list or signature beside the image, picked by a
/// tab-completion slip; any text). An unknown binary file is not one: a raw filesystem image has
/// no magic of its own.
public enum ForeignFile: Sendable, Equatable {
    /// A compressed file, archive or virtual disk: `name` says which, `unpack` the command that
    /// gets the image out of it.
    case unsupported(name: String, unpack: String)
    /// Not an image: `what` says what it looks like, `instead` what to give.
    case notAnImage(what: String, instead: String)

    /// How many of a file's first bytes `identify` looks at.
    public static let headSize = 4096

    /// What `head` (the file's first `headSize` bytes, or all of a shorter file) shows the file
    /// to be; nil for anything that may be an image. `fileSize`: the whole file's.
    public static func identify(_ head: [UInt8], fileSize: Int64) -> ForeignFile? {
        unsupported(head) ?? signaturePacket(head, fileSize: fileSize) ?? text(head, whole: Int64(head.count) == fileSize)
    }

    /// Compressed files, archives and virtual disks, by their magic.
    static func unsupported(_ head: [UInt8]) -> ForeignFile? {
        func at(_ offset: Int, _ magic: [UInt8]) -> Bool { head.count >= offset + magic.count && Array(head[offset..<(offset + magic.count)]) == magic }
        func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }
        let known: [(matches: Bool, name: String, unpack: String)] = [
            // "BZh", the block size, then a block's or the end's magic (pi, sqrt(pi)).
            (head.count >= 10 && at(0, ascii("BZh")) && (0x31...0x39).contains(head[3])
                && (at(4, [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]) || at(4, [0x17, 0x72, 0x45, 0x38, 0x50, 0x90])),
             "bzip2-compressed", "bzip2 -dk FILE"),
            (legacyLZMA(head), "legacy LZMA (.lzma)", "xz -dk FILE"),
            (at(0, [0x04, 0x22, 0x4D, 0x18]) || at(0, [0x02, 0x21, 0x4C, 0x18]), "lz4-compressed", "lz4 -d FILE"),
            (at(0, ascii("LZIP")), "lzip-compressed", "lzip -dk FILE"),
            (at(0, [0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A]), "lzop-compressed", "lzop -d FILE"),
            (at(0, [0x1F, 0x9D]), "compress(1)-compressed (.Z)", "gzip -dk FILE"),
            (at(0, [0x50, 0x4B, 0x03, 0x04]) || at(0, [0x50, 0x4B, 0x05, 0x06]), "a zip archive", "unzip FILE"),
            (at(0, [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]), "a 7-Zip archive", "7z x FILE"),
            (at(0, ascii("Rar!\u{1A}\u{07}")), "a RAR archive", "unrar x FILE"),
            (at(257, ascii("ustar")), "a tar archive", "tar -xf FILE"),
            (at(0, ascii("QFI")) && head.count > 3 && head[3] == 0xFB, "a qcow2 virtual disk", "qemu-img convert -O raw FILE disk.img"),
            (at(0, ascii("KDMV")), "a VMDK virtual disk", "qemu-img convert -O raw FILE disk.img"),
            (at(0, ascii("vhdxfile")), "a VHDX virtual disk", "qemu-img convert -O raw FILE disk.img"),
        ]
        return known.first { $0.matches }.map { .unsupported(name: $0.name, unpack: $0.unpack) }
    }

    /// An LZMA_Alone header (what `xz --format=lzma` and `lzma` write): properties (lc, lp, pb)
    /// below 225, a dictionary of 2^n or 2^n + 2^(n-1) bytes, and a length that is unknown
    /// (all ones) or plausible. Thirteen bytes with no magic, so all three must hold.
    static func legacyLZMA(_ head: [UInt8]) -> Bool {
        guard head.count >= 13, head[0] < 225 else { return false }
        let dictionary = UInt32(head[1]) | UInt32(head[2]) << 8 | UInt32(head[3]) << 16 | UInt32(head[4]) << 24
        let size = (5..<13).reduce(UInt64(0)) { $0 | UInt64(head[$1]) << (8 * UInt64($1 - 5)) }
        let shifted = dictionary >> dictionary.trailingZeroBitCount
        return dictionary >= 4096 && (shifted == 1 || shifted == 3) && (size == .max || size < 1 << 44)
    }

    /// A binary OpenPGP signature packet (tag 2, version 3 to 6) that the file ends with or after:
    /// a detached `.sig` or `.gpg` signature.
    static func signaturePacket(_ head: [UInt8], fileSize: Int64) -> ForeignFile? {
        guard head.count >= 4, head[0] & 0x80 != 0, fileSize <= 64 << 10 else { return nil }
        let tag: UInt8, lengthBytes: Int, body: Int
        if head[0] & 0x40 == 0 {  // old format: tag in bits 5-2, length type in bits 1-0
            tag = (head[0] >> 2) & 0x0F
            switch head[0] & 3 {
            case 0: (lengthBytes, body) = (1, Int(head[1]))
            case 1: (lengthBytes, body) = (2, Int(head[1]) << 8 | Int(head[2]))
            default: return nil
            }
        } else {  // new format: tag in bits 5-0, then a one- or two-octet length
            tag = head[0] & 0x3F
            switch head[1] {
            case 0..<192: (lengthBytes, body) = (1, Int(head[1]))
            case 192..<224: (lengthBytes, body) = (2, (Int(head[1]) - 192) << 8 + Int(head[2]) + 192)
            default: return nil
            }
        }
        let version = head[1 + lengthBytes]
        guard tag == 2, (3...6).contains(version), Int64(1 + lengthBytes + body) <= fileSize else { return nil }
        return .notAnImage(what: "a binary OpenPGP signature", instead: signatureAdvice)
    }

    static let signatureAdvice = "Give the image itself; a signature beside its bmap is checked with --keyring."

    /// Text: printable UTF-8 with tabs and line ends only (no disk image starts like that), named
    /// more closely when it is one of the files that sit beside an image.
    static func text(_ head: [UInt8], whole: Bool) -> ForeignFile? {
        guard !head.isEmpty, head.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }),
              let text = utf8(head, whole: whole) else { return nil }
        let start = text.drop { $0 == "\u{FEFF}" || $0.isWhitespace }
        let image = "Give the disk image or ISO itself (a file such as installer.iso or disk.img)."
        if start.hasPrefix("<?xml") || start.hasPrefix("<bmap") {
            return .notAnImage(what: text.contains("<bmap") ? "a bmap (bmaptool's XML block map)" : "an XML document",
                               instead: "Give the image itself; its bmap is found beside it, or pass it with --bmap.")
        }
        if start.hasPrefix("-----BEGIN PGP ") {
            let armor = start.prefix { $0 != "\n" && $0 != "\r" }.prefix(48)
            return .notAnImage(what: "OpenPGP armor (\(armor))", instead: signatureAdvice)
        }
        if start.hasPrefix("#cloud-config") {
            return .notAnImage(what: "cloud-init user-data (#cloud-config)", instead: "Give the image, and the user-data with --user-data.")
        }
        // Complete lines only: a long list is cut where the head ends.
        let lines = whole ? Substring(text) : text[..<(text.lastIndex(of: "\n") ?? text.startIndex)]
        if let entries = try? ChecksumFile.parse(String(lines), fileName: "") {
            return .notAnImage(what: "a checksum list (\(entries.count == 1 ? "one entry" : "\(entries.count) entries"), as sha256sum writes)",
                               instead: "Give the image itself; its checksum file is found beside it, or pass it with --checksum.")
        }
        return .notAnImage(what: "a text file", instead: image)
    }

    /// The head as UTF-8; a character cut where the head ends (not the file) is dropped.
    private static func utf8(_ head: [UInt8], whole: Bool) -> String? {
        for cut in 0...(whole ? 0 : 3) where cut < head.count {
            if let text = String(validating: head.dropLast(cut), as: UTF8.self) { return text }
        }
        return nil
    }
}
