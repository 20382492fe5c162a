import EdgeCore
import Foundation

/// An ISO9660 volume (Joliet + Rock Ridge names) holding the given files, mastered by xorriso into
/// a temporary file whose bytes are then copied into the partition. No mastering engine of our own.
public enum ISO9660Volume {
    public static func make(label: String, files: [FAT32Volume.File]) throws -> [UInt8] {
        let fm = FileManager.default
        let work = fm.temporaryDirectory.appendingPathComponent("edgeflash-iso-\(UUID().uuidString.prefix(8))")
        let root = work.appendingPathComponent("root")
        // The files hold secrets: owner-only from the moment they exist.
        try fm.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: work.path)
        defer { try? fm.removeItem(at: work) }
        for file in files {
            let path = root.appendingPathComponent(file.name).path
            guard fm.createFile(atPath: path, contents: Data(file.contents), attributes: [.posixPermissions: 0o600]) else {
                throw EdgeError(.malformed, "cannot stage \(file.name) in \(work.path) for xorriso")
            }
        }
        let output = work.appendingPathComponent("volume.iso")
        let result: ChildProcess.Result
        do {
            result = try ChildProcess.run("xorriso", ["-as", "mkisofs", "-quiet", "-output", output.path,
                                                      "-volid", label, "-joliet", "-rock", root.path], mergeOutput: true)
        } catch {
            throw EdgeError(.malformed, "could not run xorriso to make the ISO9660 volume: \(error.message)",
                            hint: "Install xorriso (apt-get install xorriso), or use --fs vfat.")
        }
        guard result.succeeded, let data = fm.contents(atPath: output.path) else {
            // xorriso's own reason: its FAILURE/SORRY lines name files, never their contents.
            let reason = result.stdout.split(separator: "\n").filter { $0.contains("FAILURE") || $0.contains("SORRY") }
                .suffix(3).joined(separator: "; ")
            throw EdgeError(.malformed, "xorriso failed to make the ISO9660 volume (\(result.outcome))" + (reason.isEmpty ? "" : ": \(reason)"),
                            hint: "Check the space in \(fm.temporaryDirectory.path), or use --fs vfat.")
        }
        return Array(data)
    }
}
