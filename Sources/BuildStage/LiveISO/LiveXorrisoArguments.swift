/// The xorriso command line that writes the live ISO in AuroraBoot's layout: volume id COS_LIVE,
/// Joliet, the tree mapped file by file (the overlay first, so the files edgeflash makes win), and
/// its boot setup: GRUB El Torito for BIOS with GRUB's hybrid MBR, the EFI system partition
/// appended as partition 2 and exposed in a GPT, partition offset 16, MBR boot flag forced on,
/// hidden boot catalog. Pure.
public enum LiveXorrisoArguments {
    public static let volumeID = "COS_LIVE"
    public static let eltoritoPath = "/boot/eltorito.img"
    public static let hybridMBRPath = "/boot/boot_hybrid.img"
    public static let efiImagePath = "/boot/uefi.img"
    public static let catalogPath = "/boot/boot.catalog"

    /// `bios`: the El Torito image and hybrid MBR on this machine; nil for a UEFI-only ISO.
    public static func make(output: String, overlay: String?, files: [ISOStagingPlan.Mapping],
                            bios: (eltorito: String, hybridMBR: String)?, efiImage: String,
                            sourceDateEpoch: Int64?) -> [String] {
        var arguments = ["-no_rc", "-abort_on", "FAILURE", "-return_with", "FAILURE", "32", "-report_about", "SORRY",
                         "-outdev", output, "-volid", volumeID, "-joliet", "on", "-padding", "0"]
        if let overlay { arguments += ["-map", overlay, "/"] }
        var mapped = files
        if let bios {
            mapped += [ISOStagingPlan.Mapping(source: bios.eltorito, isoPath: eltoritoPath),
                       ISOStagingPlan.Mapping(source: bios.hybridMBR, isoPath: hybridMBRPath)]
        }
        mapped.append(ISOStagingPlan.Mapping(source: efiImage, isoPath: efiImagePath))
        for mapping in mapped {
            if let range = mapping.range {
                arguments += ["-cut_out", mapping.source, String(range.offset), String(range.count), mapping.isoPath]
            } else {
                arguments += ["-map", mapping.source, mapping.isoPath]
            }
        }
        if let epoch = sourceDateEpoch {
            // Every file owned by root and dated by the epoch; xorriso takes its volume dates and
            // GPT GUIDs from SOURCE_DATE_EPOCH in its environment.
            arguments += ["-chown_r", "0", "/", "--", "-chgrp_r", "0", "/", "--",
                          "-volume_date", "all_file_dates", "=\(epoch)"]
        }
        if let bios {
            arguments += ["-boot_image", "grub", "bin_path=\(eltoritoPath)",
                          "-boot_image", "grub", "grub2_mbr=\(bios.hybridMBR)",
                          "-boot_image", "grub", "grub2_boot_info=on",
                          "-boot_image", "any", "partition_offset=16",
                          "-boot_image", "any", "cat_path=\(catalogPath)",
                          "-boot_image", "any", "cat_hidden=on",
                          "-boot_image", "any", "boot_info_table=on",
                          "-boot_image", "any", "platform_id=0x00",
                          "-boot_image", "any", "emul_type=no_emulation",
                          "-boot_image", "any", "load_size=2048",
                          "-boot_image", "any", "next"]
        } else {
            arguments += ["-boot_image", "any", "partition_offset=16",
                          "-boot_image", "any", "cat_path=\(catalogPath)",
                          "-boot_image", "any", "cat_hidden=on"]
        }
        arguments += ["-boot_image", "any", "platform_id=0xef",
                      "-boot_image", "any", "emul_type=no_emulation",
                      "-append_partition", "2", "0xef", efiImage,
                      "-boot_image", "any", "efi_path=--interval:appended_partition_2:all::",
                      "-boot_image", "any", "appended_part_as=gpt",
                      "-boot_image", "any", "mbr_force_bootable=on",
                      "-commit"]
        return arguments
    }
}
