import Foundation
import Testing
import TestSupport
@testable import ISOVerify

/// Our reading of real ISOs, cross-checked field by field with xorriso's.
@Suite struct RealISOTests {
    static let names = ["ipxe", "grub-rescue", "mkrescue", "kairos", "plain"]
    static func iso(_ name: String) throws -> URL {
        switch name {
        case "ipxe": return RealISOs.ipxe
        case "grub-rescue": return RealISOs.grubRescue
        case "mkrescue": return try RealISOs.mkrescue
        case "kairos": return try RealISOs.kairos
        default: return try RealISOs.plain
        }
    }

    @Test(arguments: names)
    func elToritoMatchesXorriso(name: String) throws {
        let iso = try Self.iso(name)
        let s = try ImageStructure.read(image: iso)
        let report = try RealISOs.xorrisoReport(iso)
        #expect(s.errors.isEmpty, "\(s.errors)")
        let catalog = try #require(s.bootCatalog)
        let xCatalog = try #require(RealISOs.rows(report, "El Torito catalog").first)
        #expect(String(catalog.sector) == xCatalog[0])
        let images = RealISOs.rows(report, "El Torito boot img")
        #expect(images.count == catalog.entries.count)
        for (entry, row) in zip(catalog.entries, images) {
            // N Pltf B Emul Ld_seg Hdpt Ldsiz LBA
            #expect(row[1] == (entry.platform == .uefi ? "UEFI" : "BIOS"))
            #expect(row[2] == (entry.bootable ? "y" : "n"))
            #expect(row[3] == "none" && entry.emulation == .none)
            #expect(row[6] == String(entry.loadSectors))
            #expect(row[7] == String(entry.loadLBA))
        }
    }

    @Test(arguments: names)
    func systemAreaMatchesXorriso(name: String) throws {
        let iso = try Self.iso(name)
        let s = try ImageStructure.read(image: iso)
        let report = try RealISOs.xorrisoReport(iso)
        let mbrRows = RealISOs.rows(report, "MBR partition      ")
        #expect(mbrRows.count == (s.mbr?.partitions.count ?? 0))
        for (p, row) in zip(s.mbr?.partitions ?? [], mbrRows) {
            // N Status Type Start Blocks
            #expect(row[0] == String(p.number))
            #expect(row[1] == "0x" + String(format2hex: p.status))
            #expect(row[2] == "0x" + String(format2hex: p.type))
            #expect(row[3] == String(p.startLBA))
            #expect(row[4] == String(p.sectors))
        }
        let gptRanges = RealISOs.rows(report, "GPT start and size")
        #expect(gptRanges.count == (s.gpt?.partitions.count ?? 0))
        for (p, row) in zip(s.gpt?.partitions ?? [], gptRanges) {
            #expect(row[0] == String(p.number))
            #expect(row[1] == String(p.firstLBA))
            #expect(row[2] == String(p.sectors))
        }
        for (p, row) in zip(s.gpt?.partitions ?? [], RealISOs.rows(report, "GPT partname local")) {
            #expect(row.dropFirst().joined(separator: " ") == p.name)
        }
        let apmNames = RealISOs.rows(report, "APM partition name").map { $0.dropFirst().joined(separator: " ") }
        // xorriso lists the map's own entry implicitly; ours includes "Apple".
        #expect(apmNames == (s.apm?.partitions.filter { $0.type != "Apple_partition_map" }.map(\.name) ?? []))
        if let size = RealISOs.rows(report, "ISO image size/512").first?.first, let gpt = s.gpt {
            // xorriso's image size is where the backup GPT header lies (last sector).
            #expect(String(gpt.backupLBA + 1) == size || gpt.backupPlacement == .endOfImage)
        }
    }

    @Test func verdictsOfTheRealISOs() throws {
        let expected: [String: BootVerdict.Summary] = [
            "ipxe": .usbBIOSOnly,          // isohybrid without an ESP entry: UEFI only via El Torito (CD)
            "grub-rescue": .usbBIOSOnly,
            "mkrescue": .usbBIOSAndUEFI,
            "kairos": .usbBIOSAndUEFI,
            "plain": .opticalOnly,
        ]
        for name in Self.names {
            let verdict = try BootVerdict.assess(image: try Self.iso(name))
            #expect(verdict.summary == expected[name], "\(name): \(verdict.reasons)")
            #expect(!verdict.reasons.isEmpty)
        }
        // ipxe.iso has an EFI El Torito image and no GPT: EDK2 firmware finds it on a stick too.
        let ipxe = try BootVerdict.assess(image: RealISOs.ipxe)
        #expect(ipxe.usbUEFIThroughElTorito && ipxe.summaryText.contains("EDK2"))
        #expect(try BootVerdict.assess(image: try RealISOs.kairos).usbUEFIThroughElTorito == false)
        let plain = try BootVerdict.assess(image: try RealISOs.plain)
        let refusal = try #require(plain.refusalForRawWrite(image: "plain.iso"))
        #expect(refusal.exitStatus == .refused && refusal.hint?.contains("--force") == true)
        #expect(try BootVerdict.assess(image: try RealISOs.kairos).refusalForRawWrite(image: "k") == nil)
    }

    @Test func kairosLayoutIsRecognised() throws {
        let s = try ImageStructure.read(image: try RealISOs.kairos)
        #expect(s.sanity?.volumeID == "COS_LIVE")
        #expect(s.sanity?.descriptors.joliet?.volumeID == "COS_LIVE")
        let esp = try #require(s.gpt?.partitions.first { $0.number == 2 })
        #expect(esp.isEFISystem)
        #expect(s.fatPartitions.contains { $0.table == "GPT" && $0.number == 2 && $0.fat.label == "EFI" })
        #expect(s.mbr?.partitions.contains { $0.bootable } == true)
        #expect(s.gpt?.backupPlacement == .endOfImage && s.gpt?.backupValid == true)
        #expect(s.efiBootImages.first?.fat != nil)
    }

    @Test func ipxeIsClassicIsohybridWithPartitionOneAtLBAZero() throws {
        let s = try ImageStructure.read(image: RealISOs.ipxe)
        let mbr = try #require(s.mbr)
        #expect(mbr.partitions.first?.startLBA == 0 && mbr.partitions.first?.bootable == true)
        #expect(mbr.pointsAt(bootImageLBA: 466))
        #expect(s.sanity?.descriptors.primary.publisherID == "HTTP://IPXE.ORG/")
        #expect(s.sanity?.verdict == .whole)
    }

    @Test(arguments: names)
    func volumeMatchesIsoinfo(name: String) throws {
        let iso = try Self.iso(name)
        let sanity = try ISOSanity.check(image: iso)
        let info = try Shell.bash("isoinfo -d -i '\(iso.path)'")
        #expect(info.contains("Volume id: \(sanity.volumeID)"))
        #expect(info.contains("Volume size is: \(sanity.descriptors.primary.volumeSpaceSize)"))
        #expect(sanity.verdict == .whole)
    }
}
