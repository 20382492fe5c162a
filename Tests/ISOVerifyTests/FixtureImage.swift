@testable import ISOVerify

/// A small ISO built byte by byte in memory: PVD at sector 16, El Torito boot record at 17,
/// terminator at 18, boot catalog at 19, MBR + GPT in the system area. Tests break one field at
/// a time to make each malformed case.
struct FixtureImage {
    var bytes: [UInt8]
    static let sectors = 64

    init() {
        bytes = [UInt8](repeating: 0, count: Self.sectors * 2048)
        descriptor(16, type: 1)
        putASCII(16 * 2048 + 40, "FIXTURE", pad: 32)
        putBoth32(16 * 2048 + 80, UInt32(Self.sectors))
        putLE16(16 * 2048 + 128, 2048); putBE16(16 * 2048 + 130, 2048)
        putASCII(16 * 2048 + 813, "2026112621000000", pad: 16)
        descriptor(17, type: 0)
        putASCII(17 * 2048 + 7, "EL TORITO SPECIFICATION", pad: 32, padByte: 0)
        putLE32(17 * 2048 + 71, 19)
        descriptor(18, type: 255)
        catalog()
        mbr()
        gpt()
    }

    mutating func descriptor(_ sector: Int, type: UInt8) {
        bytes[sector * 2048] = type
        putASCII(sector * 2048 + 1, "CD001", pad: 5)
        bytes[sector * 2048 + 6] = 1
    }

    static let catalogOffset = 19 * 2048

    mutating func catalog() {
        let o = Self.catalogOffset
        bytes[o] = 1; bytes[o + 30] = 0x55; bytes[o + 31] = 0xAA
        fixValidationChecksum()
        // Default entry: bootable, no emulation, 4 sectors at block 30 (x86 BIOS).
        bytes[o + 32] = 0x88; putLE16(o + 32 + 6, 4); putLE32(o + 32 + 8, 30)
        // Final section header: UEFI, one entry at block 40 (a FAT image put there).
        bytes[o + 64] = 0x91; bytes[o + 65] = 0xEF; putLE16(o + 66, 1)
        bytes[o + 96] = 0x88; putLE16(o + 96 + 6, 8); putLE32(o + 96 + 8, 40)
        fatBootSector(at: 40 * 2048, sectors: 8)
    }

    mutating func fixValidationChecksum() {
        let o = Self.catalogOffset
        putLE16(o + 28, 0)
        var sum: UInt16 = 0
        for i in stride(from: 0, to: 32, by: 2) { sum &+= UInt16(bytes[o + i]) | UInt16(bytes[o + i + 1]) << 8 }
        putLE16(o + 28, 0 &- sum)
    }

    mutating func fatBootSector(at o: Int, sectors: UInt16) {
        bytes[o] = 0xEB; putLE16(o + 11, 512); bytes[o + 13] = 1; putLE16(o + 14, 1); bytes[o + 16] = 2
        putLE16(o + 19, sectors); bytes[o + 510] = 0x55; bytes[o + 511] = 0xAA
    }

    mutating func mbr() {
        bytes[0] = 0xEB; bytes[1] = 0x63
        putLE32(0x1B0, 30 * 4)
        // 1: protective GPT over the image; 2: EFI system partition on the FAT image at block 40.
        let e1 = 446, e2 = 462
        bytes[e1 + 4] = 0xEE; putLE32(e1 + 8, 1); putLE32(e1 + 12, UInt32(Self.sectors * 4 - 1))
        bytes[e2] = 0x80; bytes[e2 + 4] = 0xEF; putLE32(e2 + 8, 160); putLE32(e2 + 12, 8)
        bytes[510] = 0x55; bytes[511] = 0xAA
    }

    static let gptEntries = 4

    /// GPT header at LBA 1, 4 entries of 128 bytes at LBA 2, backup header at the last sector.
    mutating func gpt() {
        let h = 512
        putASCII(h, "EFI PART", pad: 8)
        putLE32(h + 8, 0x0001_0000); putLE32(h + 12, 92)
        putLE64(h + 24, 1); putLE64(h + 32, UInt64(Self.sectors * 4 - 1))
        putLE64(h + 40, 34); putLE64(h + 48, UInt64(Self.sectors * 4 - 34))
        putLE64(h + 72, 2); putLE32(h + 80, UInt32(Self.gptEntries)); putLE32(h + 84, 128)
        // Entry 1: EFI system partition at LBA 160..167, named "ESP".
        let e = 1024
        let esp: [UInt8] = [0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B]
        bytes.replaceSubrange(e..<e + 16, with: esp)
        bytes[e + 16] = 1
        putLE64(e + 32, 160); putLE64(e + 40, 167)
        for (i, c) in "ESP".utf16.enumerated() { putLE16(e + 56 + 2 * i, c) }
        fixGPTCRCs()
        // Backup header: a copy pointing back.
        let b = (Self.sectors * 4 - 1) * 512
        bytes.replaceSubrange(b..<b + 92, with: bytes[h..<h + 92])
    }

    mutating func fixGPTCRCs() {
        let h = 512
        let arrayBytes = Int(le32(h + 80)) * Int(le32(h + 84))
        let arrayStart = Int(le64(h + 72)) * 512
        if arrayStart + arrayBytes <= bytes.count {
            putLE32(h + 88, CRC32.checksum(bytes[arrayStart..<arrayStart + arrayBytes]))
        }
        putLE32(h + 16, 0)
        let size = Int(le32(h + 12))
        putLE32(h + 16, CRC32.checksum(bytes[h..<h + min(size, 512)]))
    }

    func structure() throws -> ImageStructure {
        let bytes = self.bytes
        return try ImageStructure.read(size: Int64(bytes.count), path: "fixture") { offset, count in
            guard offset >= 0, offset < Int64(bytes.count), count > 0 else { return [] }
            return Array(bytes[Int(offset)..<min(Int(offset) + count, bytes.count)])
        }
    }

    // Little helpers for writing fields.
    mutating func putLE16(_ o: Int, _ v: UInt16) { bytes[o] = UInt8(v & 0xFF); bytes[o + 1] = UInt8(v >> 8) }
    mutating func putBE16(_ o: Int, _ v: UInt16) { bytes[o] = UInt8(v >> 8); bytes[o + 1] = UInt8(v & 0xFF) }
    mutating func putLE32(_ o: Int, _ v: UInt32) { for i in 0..<4 { bytes[o + i] = UInt8((v >> (8 * UInt32(i))) & 0xFF) } }
    mutating func putBE32(_ o: Int, _ v: UInt32) { for i in 0..<4 { bytes[o + i] = UInt8((v >> (8 * UInt32(3 - i))) & 0xFF) } }
    mutating func putBoth32(_ o: Int, _ v: UInt32) { putLE32(o, v); putBE32(o + 4, v) }
    mutating func putLE64(_ o: Int, _ v: UInt64) { for i in 0..<8 { bytes[o + i] = UInt8((v >> (8 * UInt64(i))) & 0xFF) } }
    mutating func putASCII(_ o: Int, _ s: String, pad: Int, padByte: UInt8 = 0x20) {
        let u = Array(s.utf8)
        for i in 0..<pad { bytes[o + i] = i < u.count ? u[i] : padByte }
    }
    func le32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[o + $1]) << (8 * UInt32($1)) } }
    func le64(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[o + $1]) << (8 * UInt64($1)) } }
}
