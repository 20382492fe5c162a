import DiskOps
import EdgeCore
import Foundation

/// The human form of `edgeflash list`: one row per disk, its partitions indented below it.
/// `numbered`: a first column numbering the disks from 1, for the drive picker of `write`.
enum DiskTable {
    static func render(_ disks: [Disk], showReasons: Bool, numbered: Bool = false) -> String {
        var rows: [[String]] = [["DEVICE", "SIZE", "TRANSPORT", "MODEL", "SERIAL", "LABELS", "NOTES"]]
        for disk in disks {
            let model = [disk.vendor, disk.model].compactMap { $0 }.joined(separator: " ")
            let labels = ([disk.label] + disk.partitions.map(\.label)).compactMap { $0 }
            rows.append([disk.path, ByteCount.human(disk.size), disk.transport ?? "-", model.isEmpty ? "-" : model,
                         disk.serial ?? "-", labels.isEmpty ? "-" : labels.joined(separator: ","),
                         notes(disk, showReasons: showReasons)])
            for part in disk.partitions {
                let fs = [part.fsType, part.label.map { "\"\($0)\"" }].compactMap { $0 }.joined(separator: " ")
                var partNotes = part.mountpoints.map { "mounted at \($0)" }
                if part.swap { partNotes.append("swap") }
                rows.append(["  " + part.path, ByteCount.human(part.size), "", fs.isEmpty ? "-" : fs, "", "",
                             partNotes.joined(separator: ", ")])
            }
        }
        if numbered {
            var number = 0
            rows = rows.enumerated().map { row, cells in
                guard row > 0, !cells[0].hasPrefix(" ") else { return [row == 0 ? "#" : ""] + cells }
                number += 1
                return ["\(number))"] + cells
            }
        }
        return TextColumns.render(rows)
    }

    private static func notes(_ disk: Disk, showReasons: Bool) -> String {
        var notes: [String] = []
        if disk.isSystem { notes.append("SYSTEM") }
        // The disk's own mounts are named here; its partitions' on their own rows.
        if !disk.mountpoints.isEmpty {
            notes.append("MOUNTED at \(disk.mountpoints.joined(separator: ", "))")
        } else if !disk.allMountpoints.isEmpty {
            notes.append("MOUNTED")
        }
        if disk.readOnly { notes.append("read-only") }
        if disk.removable { notes.append("removable") }
        if showReasons, let why = disk.notCandidateReason { notes.append("not offered: \(why)") }
        return notes.joined(separator: ", ")
    }
}
