import Testing
@testable import BuildStage

/// The command lines of the live ISO: xorriso's as AuroraBoot gives it, mksquashfs's reproducible one.
struct LiveISOArgumentsTests {
    let files = [ISOStagingPlan.Mapping(source: "/s/rootfs.squashfs", isoPath: "/rootfs.squashfs"),
                 ISOStagingPlan.Mapping(source: "/r/boot/vmlinuz-6.1", isoPath: "/boot/kernel"),
                 ISOStagingPlan.Mapping(source: "/c/core.zst", isoPath: "/opt/spectrocloud/content/core.zst_part01",
                                        range: .init(offset: 3_000_000_000, count: 12))]

    /// The value that follows each `-boot_image GROUP`, in order.
    func bootSettings(_ arguments: [String]) -> [String] {
        arguments.indices.filter { arguments[$0] == "-boot_image" }.map { arguments[$0 + 1] + " " + arguments[$0 + 2] }
    }

    @Test func amd64HasBIOSAndUEFIBootAsAuroraBoot() {
        let arguments = LiveXorrisoArguments.make(output: "/o/.x.iso.tmp", overlay: "/ov", files: files,
                                                  bios: ("/s/eltorito.img", "/g/boot_hybrid.img"), efiImage: "/s/uefi.img",
                                                  sourceDateEpoch: nil)
        #expect(Array(arguments.prefix(16)) == ["-no_rc", "-abort_on", "FAILURE", "-return_with", "FAILURE", "32", "-report_about", "SORRY",
                                                "-outdev", "/o/.x.iso.tmp", "-volid", "COS_LIVE", "-joliet", "on", "-padding", "0"])
        // The overlay first, so the menu edgeflash writes replaces the overlay's template.
        #expect(Array(arguments[16..<19]) == ["-map", "/ov", "/"])
        let joined = arguments.joined(separator: " ")
        #expect(joined.contains("-cut_out /c/core.zst 3000000000 12 /opt/spectrocloud/content/core.zst_part01"))
        #expect(joined.contains("-map /s/eltorito.img /boot/eltorito.img -map /g/boot_hybrid.img /boot/boot_hybrid.img -map /s/uefi.img /boot/uefi.img"))
        #expect(bootSettings(arguments) == [
            "grub bin_path=/boot/eltorito.img", "grub grub2_mbr=/g/boot_hybrid.img", "grub grub2_boot_info=on",
            "any partition_offset=16", "any cat_path=/boot/boot.catalog", "any cat_hidden=on", "any boot_info_table=on",
            "any platform_id=0x00", "any emul_type=no_emulation", "any load_size=2048", "any next",
            "any platform_id=0xef", "any emul_type=no_emulation",
            "any efi_path=--interval:appended_partition_2:all::", "any appended_part_as=gpt", "any mbr_force_bootable=on"])
        #expect(joined.contains("-append_partition 2 0xef /s/uefi.img"))
        #expect(arguments.last == "-commit")
        #expect(!joined.contains("-volume_date"))
    }

    @Test func arm64IsUEFIOnlyAndAnEpochPinsOwnersAndDates() {
        let arguments = LiveXorrisoArguments.make(output: "/o/t", overlay: nil, files: files, bios: nil, efiImage: "/s/uefi.img",
                                                  sourceDateEpoch: 1_700_000_000)
        let settings = bootSettings(arguments)
        #expect(!settings.contains { $0.hasPrefix("grub ") || $0.contains("platform_id=0x00") || $0 == "any next" })
        #expect(settings.contains("any platform_id=0xef"))
        #expect(settings.contains("any appended_part_as=gpt"))
        let joined = arguments.joined(separator: " ")
        #expect(!joined.contains("/boot/eltorito.img"))
        #expect(joined.contains("-chown_r 0 / -- -chgrp_r 0 / -- -volume_date all_file_dates =1700000000"))
    }

    /// -one-file-system: a root with /proc mounted in it is squashed without /proc's files.
    @Test func mksquashfsKeepsXattrsUsesEveryCoreStaysOnTheRootsFilesystemAndPinsTimesToTheEpoch() {
        #expect(SquashfsArguments.make(root: "/r", output: "/s/rootfs.squashfs", processors: 8, sourceDateEpoch: 1_700_000_000)
                == ["/r", "/s/rootfs.squashfs", "-noappend", "-no-progress", "-quiet", "-one-file-system", "-b", "1024k", "-xattrs",
                    "-processors", "8", "-mkfs-time", "1700000000", "-all-time", "1700000000"])
        #expect(!SquashfsArguments.make(root: "/r", output: "/o", processors: 0, sourceDateEpoch: nil).contains("-all-time"))
        #expect(SquashfsArguments.make(root: "/r", output: "/o", processors: 0, sourceDateEpoch: nil).suffix(2) == ["-processors", "1"])
    }
}
