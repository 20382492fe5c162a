#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Unmounts a disk's filesystems with umount(2) for `write --unmount`.
enum Unmounter {
    /// Deepest mountpoints first, so /media/a/b goes before /media/a. The first failure refuses.
    static func unmount(_ mountpoints: [String], of disk: String) throws(TargetRefusal) {
        for mountpoint in mountpoints.sorted(by: { $0.count > $1.count }) {
            if umount2(mountpoint, 0) != 0 {
                let error = Errno(rawValue: errno)
                throw TargetRefusal(.unmountFailed, "could not unmount \(mountpoint) on \(disk): \(error.description)",
                                    hint: error == .resourceBusy
                                        ? "a program is using it (see 'fuser -vm \(mountpoint)'); close it and try again"
                                        : "unmount it yourself, then run edgeflash again")
            }
        }
    }
}
