import EdgeCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension SystemSnapshot {
    /// Reads the running machine. Swap entries are stat(2)ed so a swap file maps to its disk, and
    /// loop devices' backing files so aliases are found by inode, not by path.
    public static func live(sysfsRoot: URL = URL(fileURLWithPath: "/sys"),
                            mountinfoPath: String = "/proc/self/mountinfo",
                            swapsPath: String = "/proc/swaps") throws -> SystemSnapshot {
        let devices = try SysfsReader(root: sysfsRoot).blockDevices().map { device in
            var device = device
            // A deleted backing file reads "PATH (deleted)": stat finds nothing, or another file.
            if let path = device.backingFile, !path.hasSuffix(" (deleted)") {
                device.backingFileIdentity = FileStatus.of(path)?.identity
            }
            return device
        }
        let mounts = MountTable.parse(try readWhole(mountinfoPath))
        let swapText = (try? readWhole(swapsPath)) ?? ""
        let swaps = SwapTable.parse(swapText).map { entry in
            var entry = entry
            entry.device = FileStatus.of(entry.path)?.containingDevice
            return entry
        }
        return SystemSnapshot(devices: devices, mounts: mounts, swaps: swaps)
    }

    /// A /proc file read to its end. Not `String(contentsOfFile:)`: on procfs (st_size 0) it
    /// returned only the first few KiB of a 16 KiB mountinfo, and every mount past them was missed.
    private static func readWhole(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw EdgeError.cannotRead(path, "cannot open it") }
        defer { try? handle.close() }
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    }
}
