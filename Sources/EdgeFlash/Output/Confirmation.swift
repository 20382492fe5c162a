import DiskOps
import EdgeCore
import Foundation

/// The question asked before anything is erased: the disk's model, size and serial and every
/// partition (with its label) that will be destroyed. `--yes` skips it; without a TTY to ask on,
/// nothing is written.
enum Confirmation {
    static func describe(disk: Disk, imagePath: String, imageSize: Int64) -> String {
        var lines = ["This ERASES everything on \(disk.path):"]
        let identity = [disk.vendor, disk.model].compactMap { $0?.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        var facts = [identity.isEmpty ? "unknown model" : identity, ByteCount.human(disk.size)]
        facts.append("serial " + (disk.serial.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"))
        if let transport = disk.transport { facts.append(transport) }
        if let backingFile = disk.backingFile { facts.append("backed by \(backingFile)") }
        lines.append("  " + facts.joined(separator: ", "))
        if let fsType = disk.fsType {
            // A filesystem on the whole disk, as a formatted stick or a written ISO has.
            lines.append("  whole disk: \(fsType)" + (disk.label.map { "  \"\($0)\"" } ?? ""))
        } else if disk.partitions.isEmpty {
            lines.append("  no partitions" + (disk.partitionTable.map { " (\($0) table)" } ?? ""))
        }
        for partition in disk.partitions {
            var text = "  \(partition.path)  \(ByteCount.human(partition.size))"
            if let fsType = partition.fsType { text += "  \(fsType)" }
            if let label = partition.label { text += "  \"\(label)\"" }
            if !partition.mountpoints.isEmpty { text += "  mounted on " + partition.mountpoints.joined(separator: ", ") }
            lines.append(text)
        }
        lines.append("and writes \(URL(fileURLWithPath: imagePath).lastPathComponent) (\(ByteCount.human(imageSize))) to it.")
        return lines.joined(separator: "\n")
    }

    /// Returns when the user typed "yes" (or `assumeYes`); throws `.notConfirmed` otherwise.
    static func ask(disk: Disk, imagePath: String, imageSize: Int64, assumeYes: Bool) throws {
        if assumeYes { return }
        guard Terminal.stdinIsTTY else {
            throw EdgeError(.notConfirmed, "nothing written to \(disk.path): no terminal to confirm on",
                            hint: "Pass --yes to write without asking (for scripts).")
        }
        let answer = answerOrExitOnInterrupt(
            question: describe(disk: disk, imagePath: imagePath, imageSize: imageSize) + "\nType yes to continue: ",
            saying: "\nedgeflash: nothing written to \(disk.path): interrupted\n")
        guard let answer else {
            throw EdgeError(.notConfirmed, "nothing written to \(disk.path): no answer")
        }
        guard answer.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
            throw EdgeError(.notConfirmed, "nothing written to \(disk.path): not confirmed")
        }
    }

    /// Asks and reads the answer line; nil at end of input (Ctrl-D), after ending the question's line
    /// so the error that follows starts on its own. Ctrl-C while waiting would otherwise kill the
    /// process silently after "^C"; nothing has been changed yet, so it prints `message` and exits
    /// with the interrupted status.
    static func answerOrExitOnInterrupt(question: String, saying message: String) -> String? {
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler {
            Terminal.writeStderr(message)
            _exit(ExitStatus.interrupted.rawValue)
        }
        interrupt.resume()
        defer {
            interrupt.cancel()
            signal(SIGINT, SIG_DFL)
        }
        Terminal.writeStderr(question)
        guard let answer = readLine() else {
            Terminal.writeStderr("\n")
            return nil
        }
        return answer
    }
}
