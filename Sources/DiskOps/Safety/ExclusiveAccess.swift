#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The kernel's own answer to "is anyone using this disk?": open(2) with O_EXCL on a block
/// device fails with EBUSY while it is mounted, a swap, under dm/md, or held by another
/// O_EXCL opener (a running flasher, a partitioner). The writer calls this right before writing.
public enum ExclusiveAccess {
    /// Throws a `TargetRefusal(.busy)` naming what holds the disk when it is held; any other
    /// open failure is left to the writer's own open to report.
    public static func check(devicePath: String) throws(TargetRefusal) {
        let fd = open(devicePath, O_RDONLY | O_EXCL | O_CLOEXEC)
        if fd >= 0 {
            close(fd)
            return
        }
        guard errno == EBUSY else { return }
        let disks = (try? Inventory.live()) ?? []
        let target = FileStatus.of(devicePath)?.rawDevice
        let disk = disks.first { $0.path == devicePath || ($0.devNumber != nil && $0.devNumber == target) }
        throw busyRefusal(devicePath: devicePath, disk: disk)
    }

    /// Names what is known to hold the disk: its holders, mounts and swaps.
    public static func busyRefusal(devicePath: String, disk: Disk?) -> TargetRefusal {
        var users: [String] = []
        if let disk {
            if !disk.holders.isEmpty { users.append("held by \(disk.holders.joined(separator: ", "))") }
            let mounts = disk.allMountpoints
            if !mounts.isEmpty { users.append("mounted at \(mounts.joined(separator: ", "))") }
            if disk.swap || disk.partitions.contains(where: \.swap) { users.append("an active swap") }
        }
        let who = users.isEmpty ? "another program has it open exclusively" : users.joined(separator: "; ")
        return TargetRefusal(.busy, "\(devicePath) is busy: \(who)",
                             hint: users.isEmpty
                                ? "close the program using it (see 'fuser -v \(devicePath)') and try again"
                                : "unmount it (or pass --unmount), stop the swap or close the holder, then try again")
    }
}
