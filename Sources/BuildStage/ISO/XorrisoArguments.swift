/// The xorriso command line that stages the installer ISO: load the base ISO, replay its boot
/// setup exactly (El Torito, MBR/GPT, volume id), add the files, write a new image. Pure.
public enum XorrisoArguments {
    public static func stage(base: String, output: String, plan: ISOStagingPlan, sourceDateEpoch: Int64?,
                             dropHFSPlus: Bool = false) -> [String] {
        var arguments = ["-no_rc", "-abort_on", "FAILURE", "-return_with", "FAILURE", "32",
                         "-report_about", "SORRY",
                         "-indev", base, "-outdev", output, "-boot_image", "any", "replay"]
        // xorriso 1.5.4 cannot re-lay the HFS+/APM Mac hybrid of grub-mkrescue images ("GPT
        // partitions 1 and 2 overlap"); the stager retries without it and says so.
        if dropHFSPlus { arguments += ["-hfsplus", "off"] }
        for mapping in plan.mappings {
            if let range = mapping.range {
                arguments += ["-cut_out", mapping.source, String(range.offset), String(range.count), mapping.isoPath]
            } else {
                arguments += ["-map", mapping.source, mapping.isoPath]
            }
        }
        if let epoch = sourceDateEpoch {
            // Added files get fixed owners, and every timestamp the epoch, so the same inputs give
            // the same bytes (xorriso itself reads SOURCE_DATE_EPOCH for the rest).
            let paths = plan.addedPaths
            if !paths.isEmpty {
                arguments += ["-chown", "0"] + paths + ["--", "-chgrp", "0"] + paths + ["--"]
            }
            arguments += ["-volume_date", "all_file_dates", "=\(epoch)"]
        }
        arguments.append("-commit")
        return arguments
    }

    /// Asks xorriso to describe the boot records of `image`.
    public static func reportBoot(image: String) -> [String] {
        ["-no_rc", "-report_about", "SORRY", "-indev", image, "-report_el_torito", "plain", "-report_system_area", "plain"]
    }
}
