import Foundation
import TestSupport

/// Real ISOs for the staging tests: ipxe.iso (isolinux MBR isohybrid, BIOS + UEFI) and a
/// grub-mkrescue image (GPT + APM + HFS+ hybrid) made at test time.
enum ISOFixtures {
    static let ipxe = "/usr/lib/ipxe/ipxe.iso"

    static func grubRescue(in directory: URL) throws -> String {
        let root = directory.appendingPathComponent("grub-root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("boot/grub"), withIntermediateDirectories: true)
        try Data("set timeout=0\n".utf8).write(to: root.appendingPathComponent("boot/grub/grub.cfg"))
        let iso = directory.appendingPathComponent("grub-base.iso").path
        try Shell.bash("grub-mkrescue -o '\(iso)' '\(root.path)' >/dev/null 2>&1")
        return iso
    }

    /// The bytes of `isoPath` inside `image`, read back with xorriso's own extractor.
    static func extract(_ image: String, _ isoPath: String, into directory: URL) throws -> Data {
        let target = directory.appendingPathComponent("extracted-\(UUID().uuidString.prefix(6))")
        try Shell.bash("xorriso -osirrox on -indev '\(image)' -extract '\(isoPath)' '\(target.path)' >/dev/null 2>&1")
        return try Data(contentsOf: target)
    }

    /// Boot-relevant lines of xorriso's report, with LBAs and sizes cut off by column, as a
    /// second opinion independent of BootSetup. GPT "GapN" partitions only fill space between the
    /// others (and the padding after them), so they are left out.
    static func bootLines(_ image: String) throws -> [String] {
        let report = try Shell.bash("xorriso -indev '\(image)' -report_el_torito plain -report_system_area plain 2>/dev/null")
        let lines = report.split(separator: "\n")
        // "GPT partname local :   1  Gap0" -> words [GPT, partname, local, :, 1, Gap0]
        let gaps = Set(lines.filter { $0.hasPrefix("GPT partname local") }.map { $0.split(separator: " ") }
            .filter { $0.count >= 6 && $0[5].hasPrefix("Gap") }.map { String($0[4]) })
        return lines.compactMap { line -> String? in
            let words = line.split(separator: " ")
            if line.hasPrefix("El Torito boot img") { return words.dropLast().joined(separator: " ") }
            if line.hasPrefix("El Torito img") || line.hasPrefix("System area summary") { return words.joined(separator: " ") }
            if line.hasPrefix("MBR partition  ") { return words.prefix(6).joined(separator: " ") }
            if line.hasPrefix("GPT partition path") || line.hasPrefix("GPT type GUID") {
                let number = words.dropFirst(4).first.map(String.init) ?? ""
                return gaps.contains(number) ? nil : words.joined(separator: " ")
            }
            return nil
        }
    }

    static func volumeID(_ image: String) throws -> String {
        try Shell.bash("isoinfo -d -i '\(image)' | sed -n 's/^Volume id: //p'").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func files(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }
}
