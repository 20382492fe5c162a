import Foundation

/// What a fixture guest printed on the serial console during one boot, and the blocks it reported
/// between its markers (see scripts/fixtures/init-common.sh and scripts/fixtures/README.md):
///   EDGEFLASH-USERDATA-BEGIN\n<bytes>\nEDGEFLASH-USERDATA-END\nEDGEFLASH-USERDATA-SHA256 <hex>
///   EDGEFLASH-CONFIG-BEGIN ... (the ISO's /files-iso/config.yaml), EDGEFLASH-*-NONE, EDGEFLASH-DONE;
/// and from the live image's init (live-init.sh): EDGEFLASH-CMDLINE <cmdline>, EDGEFLASH-CMDLINE-OK,
/// EDGEFLASH-MARKER <text>.
public struct BootReport: Sendable {
    public let mode: FirmwareMode
    public let medium: BootMedium
    /// The raw serial output (firmware, GRUB and the guest's reports).
    public let serial: Data
    /// What QEMU itself printed (errors such as a locked or missing drive).
    public let qemuMessages: String
    public let exitStatus: Int32
    public let timedOut: Bool
    public let duration: TimeInterval

    public var serialText: String { String(decoding: serial, as: UTF8.self) }

    /// The guest reached the end of its checks (and then powered off).
    public var finished: Bool { hasLine("EDGEFLASH-DONE") }
    /// The guest found no volume labelled CIDATA or cidata.
    public var sawNoUserData: Bool { hasLine("EDGEFLASH-USERDATA-NONE") }
    /// The guest found no /files-iso/config.yaml on the ISO volume.
    public var sawNoConfig: Bool { hasLine("EDGEFLASH-CONFIG-NONE") }

    /// The exact bytes of every `user-data` the guest read, one per CIDATA/cidata volume.
    public var userData: [Data] { blocks("USERDATA") }
    /// The SHA-256 (hex) the guest computed for each `user-data`, in the same order.
    public var userDataSHA256: [String] { values("EDGEFLASH-USERDATA-SHA256") }
    /// The exact bytes of the ISO volume's /files-iso/config.yaml, if the guest found one.
    public var config: Data? { blocks("CONFIG").first }
    public var configSHA256: String? { values("EDGEFLASH-CONFIG-SHA256").first }

    /// The kernel command line the live image's guest was booted with (the GRUB entry taken).
    public var cmdline: String? { values("EDGEFLASH-CMDLINE").first }
    /// The live image's guest found both `root=live:CDLABEL=COS_LIVE` and
    /// `rd.live.squashimg=rootfs.squashfs` on its kernel command line.
    public var cmdlineOK: Bool { hasLine("EDGEFLASH-CMDLINE-OK") }
    /// The marker file the live image's guest read from the ISO's loop-mounted /rootfs.squashfs.
    public var marker: String? { values("EDGEFLASH-MARKER").first }

    /// A short summary for failure messages: mode, outcome, time and the guest's marker lines.
    public var summary: String {
        let outcome = timedOut ? "timed out" : finished ? "finished" : "stopped (exit \(exitStatus))"
        let markers = serialText.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .filter { $0.hasPrefix("EDGEFLASH-") }
            .joined(separator: "\n")
        return "\(mode) boot from a \(medium) \(outcome) after \(Int(duration)) s\n\(markers)\n\(qemuMessages)"
    }

    func hasLine(_ marker: String) -> Bool {
        serialText.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).contains { $0 == marker }
    }

    /// Values after `marker ` at the start of a line.
    func values(_ marker: String) -> [String] {
        serialText.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).compactMap { line in
            line.hasPrefix(marker + " ") ? String(line.dropFirst(marker.count + 1)) : nil
        }
    }

    /// The bytes between `EDGEFLASH-NAME-BEGIN\n` and `\nEDGEFLASH-NAME-END\n` (the guest adds
    /// that one newline after the content), for every such block.
    func blocks(_ name: String) -> [Data] {
        let begin = Data("EDGEFLASH-\(name)-BEGIN\n".utf8), end = Data("\nEDGEFLASH-\(name)-END\n".utf8)
        var found: [Data] = []
        var cursor = serial.startIndex
        while let start = serial.range(of: begin, in: cursor..<serial.endIndex),
              let stop = serial.range(of: end, in: start.upperBound..<serial.endIndex) {
            found.append(serial.subdata(in: start.upperBound..<stop.lowerBound))
            cursor = stop.upperBound
        }
        return found
    }
}
