import EdgeCore
import Foundation

/// The architecture a kernel image is built for, told from its first bytes: the PE header of an
/// EFI-stub or zboot kernel (machine 0x8664 or 0xAA64), else arm64's `Image` magic (`ARM\x64` at
/// 0x38), else x86's boot protocol header (`HdrS` at 0x202). nil when none of them is there: a
/// kernel this check does not know is not refused.
enum KernelArchitecture {
    static func of(_ header: [UInt8]) -> LiveISOArchitecture? {
        func u16(_ at: Int) -> Int? { at + 2 <= header.count ? Int(header[at]) | Int(header[at + 1]) << 8 : nil }
        func u32(_ at: Int) -> Int? { guard let low = u16(at), let high = u16(at + 2) else { return nil }; return low | high << 16 }
        func bytes(_ at: Int, _ text: String) -> Bool {
            let wanted = Array(text.utf8)
            return at + wanted.count <= header.count && Array(header[at..<at + wanted.count]) == wanted
        }
        if bytes(0, "MZ"), let pe = u32(0x3c), bytes(pe, "PE\0\0"), let machine = u16(pe + 4) {
            switch machine {
            case 0x8664: return .amd64
            case 0xAA64: return .arm64
            default: break
            }
        }
        if bytes(0x38, "ARM\u{64}") { return .arm64 }
        if bytes(0x202, "HdrS") { return .amd64 }
        return nil
    }

    /// Refuses a kernel built for another architecture than the ISO's, naming both.
    static func check(_ boot: BootFiles, for architecture: LiveISOArchitecture) throws {
        guard let handle = FileHandle(forReadingAtPath: boot.kernel) else { return }
        defer { try? handle.close() }
        let header = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
        guard let found = of(header), found != architecture else { return }
        throw EdgeError(.malformed, "the image is for \(found.rawValue): its kernel \(boot.kernelInImage) is an \(found.rawValue) kernel, and the ISO is for \(architecture.rawValue)",
                        hint: "give the \(architecture.rawValue) image, or --arch \(found.rawValue) (ARCH in .arg) to build an \(found.rawValue) ISO")
    }
}
