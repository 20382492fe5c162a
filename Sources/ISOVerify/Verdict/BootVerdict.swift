import EdgeCore
import Foundation

/// What the image will boot from, and why: from a USB stick on BIOS, on UEFI, or only from optical
/// media (El Torito without a hybrid layout: written raw to a stick, it will not boot).
public struct BootVerdict: Sendable, Codable, Equatable {
    public enum Summary: String, Sendable, Codable {
        case usbBIOSAndUEFI = "boots from USB on BIOS and UEFI"
        case usbBIOSOnly = "boots from USB on BIOS only"
        case usbUEFIOnly = "boots from USB on UEFI only"
        case opticalOnly = "optical-only: written raw to a stick it will not boot"
        case notBootable = "not bootable"
    }

    public var usbBIOS: Bool
    public var usbUEFI: Bool
    public var opticalBIOS: Bool
    public var opticalUEFI: Bool
    /// No EFI system partition, but UEFI firmware built on EDK2 (OVMF, many PCs) scans El Torito on
    /// any disk without a GPT and would find the EFI image on the stick. Not every firmware does,
    /// so this does not make `usbUEFI` true.
    public var usbUEFIThroughElTorito: Bool
    /// One line per fact the verdict rests on ("MBR boot code present", "GPT partition 2 is an
    /// EFI system partition with a FAT filesystem"...), and per fact that weakens it.
    public var reasons: [String]

    /// The summary in words, with the EDK2 El Torito caveat when it applies.
    public var summaryText: String {
        usbUEFIThroughElTorito
            ? summary.rawValue + "; UEFI firmware built on EDK2 (OVMF, many PCs) may also boot it through El Torito on the stick"
            : summary.rawValue
    }

    public var summary: Summary {
        switch (usbBIOS, usbUEFI) {
        case (true, true): return .usbBIOSAndUEFI
        case (true, false): return .usbBIOSOnly
        case (false, true): return .usbUEFIOnly
        case (false, false): return opticalBIOS || opticalUEFI ? .opticalOnly : .notBootable
        }
    }

    /// True when the image cannot boot from a stick at all: `write` refuses it unless `--force`.
    public var isOpticalOnly: Bool { !usbBIOS && !usbUEFI }

    /// The refusal `write` raises for an image that will not boot from a stick (exit status
    /// `.refused`, hint names `--force`); nil when it boots from USB on BIOS or UEFI.
    public func refusalForRawWrite(image: String) -> EdgeError? {
        guard isOpticalOnly else { return nil }
        let why = summary == .opticalOnly
            ? "\(image) is an optical-only ISO: it has El Torito boot records but no MBR boot code or EFI system partition, so a stick written with it will not boot"
            : "\(image) has no boot record a BIOS or UEFI firmware can use from a stick"
        return EdgeError(.refused, why,
                         hint: "use a hybrid (isohybrid/xorriso) build of the image, or pass --force to write it anyway")
    }

    /// Derives the verdict from parsed structures. Pure.
    public static func derive(from s: ImageStructure) -> BootVerdict {
        var reasons: [String] = []
        let entries = s.bootCatalog?.entries.filter(\.bootable) ?? []
        let biosEntry = entries.first { $0.platform == .x86BIOS }
        let uefiImages = s.efiBootImages.filter { $0.fat != nil && $0.loaders.map { !$0.isEmpty } ?? true }
        let opticalBIOS = biosEntry != nil
        let opticalUEFI = !uefiImages.isEmpty
        if let biosEntry { reasons.append("El Torito BIOS boot image at block \(biosEntry.loadLBA) (CD/DVD boot on BIOS)") }
        for image in uefiImages { reasons.append("El Torito UEFI boot image at block \(image.lba): FAT, \(image.sizeBytes) bytes (CD/DVD boot on UEFI)") }
        if s.bootCatalog == nil { reasons.append("no El Torito boot catalog") }

        var usbBIOS = false
        if let mbr = s.mbr {
            if mbr.hasBootCode && !mbr.partitions.isEmpty {
                usbBIOS = true
                reasons.append("MBR boot code and a partition table: a BIOS boots the stick")
                if let biosEntry, mbr.pointsAt(bootImageLBA: biosEntry.loadLBA) {
                    reasons.append("isohybrid: the MBR points at the El Torito BIOS image (block \(biosEntry.loadLBA))")
                }
                if !mbr.partitions.contains(where: \.bootable) && s.gpt == nil {
                    reasons.append("warning: no MBR partition is marked active; some BIOSes skip such sticks")
                }
            } else if !mbr.hasBootCode {
                reasons.append("MBR has no boot code: a BIOS cannot boot the stick")
            } else {
                reasons.append("MBR boot code but no partition entries: many BIOSes will not boot the stick")
            }
        } else {
            reasons.append("no MBR (no 55 AA signature): a BIOS cannot boot the stick")
        }

        // A FAT partition whose EFI/BOOT holds no loader starts nothing: it does not count.
        let startable = s.fatPartitions.filter { $0.loaders.map { !$0.isEmpty } ?? true }
        let esp = startable.first { $0.isEFISystem } ?? startable.first
        let usbUEFI = esp != nil
        for empty in s.fatPartitions where empty.loaders?.isEmpty == true {
            reasons.append("\(empty.table) partition \(empty.number) (\(empty.typeName)) is FAT but holds no EFI/BOOT/BOOT*.EFI: UEFI firmware finds nothing to start there")
        }
        if let esp {
            let starts = esp.loaders.map { ", starting " + EFIBootLoaders.describe($0) }
                ?? " (its directories could not be read to find EFI/BOOT/BOOT*.EFI)"
            reasons.append("\(esp.table) partition \(esp.number) (\(esp.typeName)) holds a FAT filesystem the UEFI firmware reads from the stick\(starts)")
        } else if opticalUEFI {
            reasons.append("no EFI system partition: the EFI image is reachable only through El Torito, which EDK2-based UEFI firmware reads from a stick without a GPT and other firmware does not")
        } else {
            reasons.append("no EFI system partition or FAT partition: UEFI cannot boot the stick")
        }
        if let gpt = s.gpt, gpt.backupPlacement == .endOfImage {
            reasons.append("GPT backup header is at the end of the image (sector \(gpt.backupLBA)): on a larger stick it is not at the end of the disk (harmless; partitioning tools offer to move it)")
        }
        // EDK2 reads the catalog's first 512 bytes on 512-byte-sector disks: 16 slots of 32 bytes.
        let edk2Reachable = uefiImages.contains { image in
            s.bootCatalog?.entries.first { $0.index == image.entry }.map { $0.index <= 14 } ?? false
        }
        return BootVerdict(usbBIOS: usbBIOS, usbUEFI: usbUEFI, opticalBIOS: opticalBIOS, opticalUEFI: opticalUEFI,
                           usbUEFIThroughElTorito: !usbUEFI && s.gpt == nil && edk2Reachable, reasons: reasons)
    }
}
