import EdgeCore
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
        let mounts = MountTable.parse(try readWhole(mountinfoPath))
        let swapText = (try? readWhole(swapsPath)) ?? ""
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

    /// A /proc file read to its end. Not `String(contentsOfFile:)`: on procfs (st_size 0) it
    /// returned only the first few KiB of a 16 KiB mountinfo, and every mount past them was missed.
    private static func readWhole(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw EdgeError.cannotRead(path, "cannot open it") }
        defer { try? handle.close() }
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    }
}
