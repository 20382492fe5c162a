import DiskOps
import EdgeCore
import Foundation

/// Asks the question a session needs answered before it changes a disk, showing the facts the
/// session gives: the disk's model, size and serial, every partition (with its label) and what
/// will be erased or added. The rule for the answer is the session's ("yes"); without a terminal
/// to ask on, nothing is written.
enum Confirmation {
    static func ask(_ request: ConfirmationRequest) throws {
        guard Terminal.stdinIsTTY else { throw request.noTerminal }
        let answer = answerOrExitOnInterrupt(question: describe(request) + "\n" + ConfirmationRequest.instruction,
                                             saying: "\nedgeflash: \(request.interruptedMessage)\n")
        try request.check(answer)
    }

    /// Several disks at once (write to several sticks): one table of the disks and their sites, what
    /// each holds, and one "yes" for them all.
    static func ask(_ batch: BatchConfirmation, sites: [String?]) throws {
        guard Terminal.stdinIsTTY else { throw batch.noTerminal }
        let answer = answerOrExitOnInterrupt(question: describe(batch, sites: sites) + "\n" + ConfirmationRequest.instruction,
                                             saying: "\nedgeflash: \(batch.interruptedMessage)\n")
        try batch.check(answer)
    }

    static func describe(_ batch: BatchConfirmation, sites: [String?]) -> String {
        var lines: [String] = []
        if case .eraseAndWrite(let imagePath, let imageBytes)? = batch.requests.first?.change {
            lines.append("This ERASES everything on \(batch.requests.count) disks and writes \(URL(fileURLWithPath: imagePath).lastPathComponent) (\(ByteCount.human(imageBytes))) to each:")
        }
        var rows = [["DEVICE", "MODEL", "SIZE", "SERIAL", "SITE"]]
        for (request, site) in zip(batch.requests, sites) {
            let disk = request.disk
            rows.append([disk.path, identity(disk) ?? "unknown model", ByteCount.human(disk.size),
                         disk.serial.flatMap { $0.isEmpty ? nil : $0 } ?? "unknown", site ?? "-"])
        }
        lines += TextColumns.render(rows).split(separator: "\n").map { "  " + $0 }
        for request in batch.requests {
            lines.append("  \(request.disk.path) holds:")
            lines += holdings(request.disk).map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ request: ConfirmationRequest) -> String {
        let disk = request.disk
        var lines: [String] = []
        switch request.change {
        case .eraseAndWrite: lines.append("This ERASES everything on \(request.diskName):")
        case .addVolume: lines.append("This changes \(request.diskName):")
        }
        var facts = [identity(disk) ?? "unknown model", ByteCount.human(disk.size)]
        facts.append("serial " + (disk.serial.flatMap { $0.isEmpty ? nil : VisibleText.inLine($0) } ?? "unknown"))
        if let transport = disk.transport { facts.append(transport) }
        if let backingFile = disk.backingFile { facts.append("backed by \(backingFile)") }
        lines.append("  " + facts.joined(separator: ", "))
        lines += holdings(disk)
        switch request.change {
        case .eraseAndWrite(let imagePath, let imageBytes):
            lines.append("and writes \(URL(fileURLWithPath: imagePath).lastPathComponent) (\(ByteCount.human(imageBytes))) to it.")
        case .addVolume(let plan):
            let volume = "(\(plan.fileSystem.rawValue), \(plan.size >> 20) MiB) at byte \(plan.start), after the image (which ends at byte \(plan.imageEnd) and stays as it is)."
            lines.append(plan.replacesExisting
                         ? "It erases the \(plan.label) volume in partition \(plan.partitionNumber) and writes a new one " + volume
                         : "It adds a \(plan.label) volume " + volume)
        }
        return lines.joined(separator: "\n")
    }

    /// What the disk holds, that will be erased: its whole-disk filesystem or its partitions.
    private static func holdings(_ disk: Disk) -> [String] {
        var lines: [String] = []
        if let fsType = disk.fsType {
            // A filesystem on the whole disk, as a formatted stick or a written ISO has.
            lines.append("  whole disk: \(fsType)" + (disk.label.map { "  \"\(VisibleText.inLine($0))\"" } ?? ""))
        } else if disk.partitions.isEmpty {
            lines.append("  no partitions" + (disk.partitionTable.map { " (\($0) table)" } ?? ""))
        }
        for partition in disk.partitions {
            var text = "  \(partition.path)  \(ByteCount.human(partition.size))"
            if let fsType = partition.fsType { text += "  \(fsType)" }
            if let label = partition.label { text += "  \"\(VisibleText.inLine(label))\"" }
            if !partition.mountpoints.isEmpty { text += "  mounted on " + partition.mountpoints.joined(separator: ", ") }
            lines.append(text)
        }
        return lines
    }

    private static func identity(_ disk: Disk) -> String? {
        let identity = [disk.vendor, disk.model].compactMap { $0?.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        return identity.isEmpty ? nil : VisibleText.inLine(identity)
    }

    /// Asks and reads the answer line; nil at end of input (Ctrl-D), after ending the question's line
    /// so the error that follows starts on its own. Ctrl-C while waiting would otherwise kill the
    /// process silently after "^C"; nothing has been changed yet, so it prints `message` and exits
    /// with the interrupted status. The process's one SignalTrap catches it: a signal source of its
    /// own, cancelled after the answer, left SIGINT ignored for the whole write that followed.
    static func answerOrExitOnInterrupt(question: String, saying message: String) -> String? {
        let trap = SignalTrap {
            Terminal.writeStderr(message)
            _exit(ExitStatus.interrupted.rawValue)
        }
        defer { withExtendedLifetime(trap) {} }
        Terminal.writeStderr(question)
        guard let answer = readLine() else {
            Terminal.writeStderr("\n")
            return nil
        }
        return answer
    }
}
