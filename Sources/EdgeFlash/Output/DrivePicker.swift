import DiskOps
import EdgeCore
import Foundation

/// `edgeflash write IMAGE` with no device: on a terminal, a numbered list of the drives edgeflash
/// would offer (model, size, serial, partitions and labels: `list`'s table) and the technician
/// types a number, or several separated by commas. The usual confirmation follows. Without a
/// terminal there is no one to ask: a usage error that names `edgeflash list`.
enum DrivePicker {
    static func choose(imagePath: String) throws -> [String] {
        guard Terminal.stdinIsTTY else {
            throw EdgeError(.usage, "write needs the device to write to, and there is no terminal to pick one on",
                            hint: "Run edgeflash list to see the drives, then edgeflash write \(imagePath) /dev/sdX.")
        }
        // The station's rule: drives `list` offers, and with EDGEFLASH_LOOP_DIR (tests) loop devices over files there.
        let loopDirectory = ProcessInfo.processInfo.environment["EDGEFLASH_LOOP_DIR"]
        let rules = DriveArrivals.Rules(allowLoop: loopDirectory != nil, loopDirectory: loopDirectory)
        let disks = try Inventory.live().filter { $0.size > 0 && rules.refusal($0) == nil }
        guard !disks.isEmpty else {
            throw EdgeError(.unavailable, "no drive to write \(imagePath) to: no USB or MMC stick or card is plugged in",
                            hint: "Insert a stick and run the command again; edgeflash list --all shows every disk and why it is not offered.")
        }
        let name = URL(fileURLWithPath: imagePath).lastPathComponent
        var question = "Drives you can write:\n" + DiskTable.render(disks, showReasons: false, numbered: true)
        while true {
            question += "Write \(name) to which drive? Type its number (several: 1,3): "
            guard let answer = Confirmation.answerOrExitOnInterrupt(question: question, saying: "\nedgeflash: nothing written: interrupted\n") else {
                throw EdgeError(.notConfirmed, "nothing written: no drive chosen")
            }
            if let chosen = pick(answer, from: disks) { return chosen }
            question = "Type numbers from 1 to \(disks.count), separated by commas.\n"
        }
    }

    /// The paths `answer` ("2", "1, 3") names; nil unless every number names a drive of the list.
    static func pick(_ answer: String, from disks: [Disk]) -> [String]? {
        let numbers = answer.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !numbers.isEmpty, numbers.allSatisfy({ $0.map { (1...disks.count).contains($0) } ?? false }) else { return nil }
        var seen = Set<Int>()
        return numbers.compactMap { $0 }.filter { seen.insert($0).inserted }.map { disks[$0 - 1].path }
    }
}
