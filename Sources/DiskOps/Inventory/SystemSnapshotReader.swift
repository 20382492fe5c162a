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
        let mounts = MountTable.parse(try String(contentsOfFile: mountinfoPath, encoding: .utf8))
        let swapText = (try? String(contentsOfFile: swapsPath, encoding: .utf8)) ?? ""
        let swaps = SwapTable.parse(swapText).map { entry in
            var entry = entry
            entry.device = FileStatus.of(entry.path)?.containingDevice
            return entry
        }
        return SystemSnapshot(devices: devices, mounts: mounts, swaps: swaps)
    }
}
