import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension SystemSnapshot {
    /// Reads the running machine. Swap entries are stat(2)ed so a swap file maps to its disk (and
    /// is known by inode), and loop devices' backing files are known by device and inode (from the
    /// kernel, else stat), so aliases are found by inode, not by path.
    public static func live(sysfsRoot: URL = URL(fileURLWithPath: "/sys"),
                            mountinfoPath: String = "/proc/self/mountinfo",
                            swapsPath: String = "/proc/swaps") throws -> SystemSnapshot {
        let devices = try SysfsReader(root: sysfsRoot).blockDevices().map { device in
            var device = device
            if let path = device.backingFile {
                device.backingFileIdentity = loopBackingFile(device.name)
                    // A deleted backing file reads "PATH (deleted)": stat finds nothing, or another file.
                    ?? (path.hasSuffix(" (deleted)") ? nil : FileStatus.of(path)?.identity)
            }
            return device
        }
        let mounts = MountTable.parse(try KernelTextFile.read(mountinfoPath))
        let swapText = (try? KernelTextFile.read(swapsPath)) ?? ""
        let swaps = SwapTable.parse(swapText).map { entry in
            var entry = entry
            let status = FileStatus.of(entry.path)
            entry.device = status?.containingDevice
            if status?.kind == .regularFile { entry.file = status?.identity }
            return entry
        }
        return SystemSnapshot(devices: devices, mounts: mounts, swaps: swaps)
    }

    /// The backing file of loop device `name` as the kernel knows it (LOOP_GET_STATUS64), whatever
    /// has become of its path; nil when the node cannot be opened (not root) or asked.
    static func loopBackingFile(_ name: String) -> FileIdentity? {
        guard let loop = try? OpenFile.open("/dev/\(name)") else { return nil }
        defer { loop.close() }
        guard let file = try? loop.loopBackingFile() else { return nil }
        return FileIdentity(device: DeviceNumber(rawDevice: file.device), inode: file.inode)
    }
}
