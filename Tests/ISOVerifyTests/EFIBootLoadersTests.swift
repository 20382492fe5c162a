import EdgeCore
import Foundation
import Testing
import TestSupport
@testable import ISOVerify

/// The boot loaders UEFI firmware starts from a stick, found inside FAT images made by mkfs.fat and
/// mtools, inside a real ISO's EFI image, and never a crash or endless walk on hostile bytes.
struct EFIBootLoadersTests {
    /// A FAT image of `size` bytes (`-F bits`), with `files` (paths inside) holding `bytes` bytes each.
    static func fatImage(bits: Int, size: Int, files: [String], bytes: Int = 3000) throws -> [UInt8] {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("esp.img").path
        var script = "truncate -s \(size) '\(image)' && mkfs.fat -F \(bits) '\(image)' >/dev/null"
        script += " && head -c \(bytes) /dev/urandom > '\(dir.path)/payload'"
        for file in files {
            let parent = (file as NSString).deletingLastPathComponent
            var path = ""
            for part in parent.split(separator: "/") {
                path += "/\(part)"
                script += " && (mmd -D s -i '\(image)' '::\(path)' 2>/dev/null || true)"
            }
            script += " && mcopy -i '\(image)' '\(dir.path)/payload' '::\(file)'"
        }
        try Shell.bash(script)
        return Array(try Data(contentsOf: URL(fileURLWithPath: image)))
    }

    static func reader(_ bytes: [UInt8]) -> (Int64, Int) throws -> [UInt8] {
        { offset, count in
            guard offset >= 0, offset <= Int64(bytes.count) else { return [] }
            return Array(bytes[Int(offset)..<min(bytes.count, Int(offset) + count)])
        }
    }

    @Test(arguments: [(12, 4 << 20), (16, 32 << 20), (32, 64 << 20)])
    func findsTheLoadersOnEachFATType(bits: Int, size: Int) throws {
        let image = try Self.fatImage(bits: bits, size: size,
                                      files: ["EFI/BOOT/BOOTX64.EFI", "EFI/BOOT/BOOTAA64.EFI", "EFI/BOOT/grub.cfg"])
        let found = try EFIBootLoaders.find(read: Self.reader(image))
        #expect(found.loaders.map(\.name).sorted() == ["BOOTAA64.EFI", "BOOTX64.EFI"])
        #expect(found.loaders.allSatisfy { $0.sizeBytes == 3000 })
        #expect(found.loaders.first { $0.name == "BOOTX64.EFI" }?.architecture == "x86-64")
    }

    @Test func aFATWithoutEFIBootHasNoLoaders() throws {
        let image = try Self.fatImage(bits: 16, size: 32 << 20, files: ["EFI/debian/shimx64.efi", "README.TXT"])
        #expect(try EFIBootLoaders.find(read: Self.reader(image)).loaders.isEmpty)
    }

    /// Many files in /EFI/BOOT: the directory spans several clusters, followed through the FAT.
    @Test func followsADirectorySpanningClusters() throws {
        let names = (0..<40).map { "EFI/BOOT/F\($0).BIN" } + ["EFI/BOOT/BOOTIA32.EFI"]
        let image = try Self.fatImage(bits: 12, size: 2 << 20, files: names, bytes: 10)
        #expect(try EFIBootLoaders.find(read: Self.reader(image)).loaders.map(\.name) == ["BOOTIA32.EFI"])
    }

    @Test func theEFIImageOfARealISOHoldsAnX64Loader() throws {
        let url = URL(fileURLWithPath: "/usr/lib/ipxe/ipxe.iso")
        let structure = try ImageStructure.read(image: url)
        let efi = try #require(structure.efiBootImages.first)
        let bytes = Array(try Data(contentsOf: url))
        let start = Int(efi.lba) * 2048
        let found = try EFIBootLoaders.find(read: Self.reader(Array(bytes[start...])))
        #expect(found.loaders.map(\.name).contains("BOOTX64.EFI"), "\(found)")
    }

    /// A cluster chain that points back to itself is an error, not an endless walk.
    @Test func aLoopingClusterChainIsAnError() throws {
        var image = try Self.fatImage(bits: 16, size: 32 << 20, files: ["EFI/BOOT/BOOTX64.EFI"])
        let fat = try FATLayout(bootSector: Array(image.prefix(512)))
        let efi = try #require(try fat.rootDirectory(read: Self.reader(image)).first { $0.name == "EFI" })
        let entry = Int(fat.fatOffset) + Int(efi.firstCluster) * 2
        image[entry] = UInt8(efi.firstCluster & 0xFF)
        image[entry + 1] = UInt8(efi.firstCluster >> 8)
        #expect(throws: EdgeError.self) { try EFIBootLoaders.find(read: Self.reader(image)) }
    }

    /// Seeded mutations of a real FAT image's first 64 KiB (boot sector, FATs, root directory):
    /// every one ends with loaders or an EdgeError.
    @Test func hostileFATBytesNeverCrash() throws {
        let original = try Self.fatImage(bits: 12, size: 2 << 20, files: ["EFI/BOOT/BOOTX64.EFI"])
        var rng = SeededRandom(state: 0xEF1_0001)
        for _ in 0..<3000 {
            var image = original
            for _ in 0..<(1 + rng.below(8)) {
                image[rng.below(65536)] = UInt8(truncatingIfNeeded: rng.next())
            }
            do { _ = try EFIBootLoaders.find(read: Self.reader(image)) } catch is EdgeError {}
        }
        ReliabilityLedger.record("hostile image bytes", "mutated FAT of an EFI image", .handled, count: 3000)
    }
}

/// The verdict counts an EFI system partition only when it holds a loader: an ISO whose appended
/// ESP is an empty FAT does not boot on UEFI, however well its GPT is laid out.
struct EFISystemPartitionVerdictTests {
    func isoWithAppendedESP(loaders: [String]) throws -> URL {
        let dir = try TemporaryDirectory.make()
        let esp = try EFIBootLoadersTests.fatImage(bits: 16, size: 32 << 20, files: loaders.isEmpty ? ["README.TXT"] : loaders)
        try Data(esp).write(to: dir.appendingPathComponent("esp.img"))
        let iso = dir.appendingPathComponent("esp.iso")
        try Shell.bash("""
            mkdir -p '\(dir.path)/root' && echo hello > '\(dir.path)/root/hello.txt'
            xorriso -as mkisofs -V ESPTEST -append_partition 2 0xef '\(dir.path)/esp.img' -appended_part_as_gpt \\
              -e --interval:appended_partition_2:all:: -no-emul-boot -o '\(iso.path)' '\(dir.path)/root' >/dev/null 2>&1
            """)
        return iso
    }

    @Test func anESPWithALoaderBootsOnUEFI() throws {
        let verdict = try BootVerdict.assess(image: try isoWithAppendedESP(loaders: ["EFI/BOOT/BOOTX64.EFI"]))
        #expect(verdict.usbUEFI)
        #expect(verdict.reasons.contains { $0.contains("starting EFI/BOOT/BOOTX64.EFI (x86-64)") }, "\(verdict.reasons)")
    }

    @Test func anEmptyESPDoesNotBootOnUEFI() throws {
        let verdict = try BootVerdict.assess(image: try isoWithAppendedESP(loaders: []))
        #expect(!verdict.usbUEFI)
        #expect(verdict.reasons.contains { $0.contains("holds no EFI/BOOT/BOOT*.EFI") }, "\(verdict.reasons)")
    }
}
