import EdgeCore

/// A failed run of a tool that makes the ISO (xorriso, mksquashfs, grub-mkimage) told as the user
/// needs it: out of space is an I/O error with the output directory named; anything else quotes
/// the tool's own FAILURE/SORRY/FATAL lines.
enum ISOToolFailure {
    static func error(_ output: ChildProcess.Result, tool: String = "xorriso", doing: String, directory: String) -> EdgeError {
        // xorriso checks free space itself before writing ("exceeds free space on media"); a disk
        // that fills up while a tool writes gives ENOSPC.
        if output.stderr.contains("No space left on device") || output.stderr.contains("exceeds free space")
            || output.stdout.contains("No space left on device") {
            return EdgeError(.io, "no space left on the device holding \(directory) while \(doing); nothing was written",
                             hint: "free some space or choose another --output directory")
        }
        return EdgeError(.failure, "\(tool) failed \(doing) (\(output.outcome)): \(lines(output.stderr.isEmpty ? output.stdout : output.stderr))",
                         hint: "nothing was written")
    }

    /// xorriso's FAILURE/SORRY lines (mksquashfs's FATAL ERROR), which say what went wrong, without its chatter.
    static func lines(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").filter { $0.contains("FAILURE") || $0.contains("SORRY") || $0.contains("FATAL") }
        return (lines.isEmpty ? stderr.split(separator: "\n").suffix(3) : lines.prefix(4)).joined(separator: " | ")
    }
}
