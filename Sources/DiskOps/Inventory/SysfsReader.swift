import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads /sys/block (or a recorded copy of it: the root is injectable) into plain values.
/// Missing attributes read as nil: drivers expose different sets, and a recorded tree has only
/// what matters. Every write reads this for every block device (some 15 small files each, and a
/// laptop with snaps has dozens of loop devices), so attributes are read with one open and one
/// read each, on plain paths.
public struct SysfsReader: Sendable {
    public let root: URL
    private let rootPath: String

    public init(root: URL = URL(fileURLWithPath: "/sys")) {
        self.root = root
        rootPath = root.path
    }

    public func blockDevices() throws -> [SysfsBlockDevice] {
        let names = try FileManager.default.contentsOfDirectory(atPath: rootPath + "/block").sorted()
        return names.map { device(named: $0) }
    }

    public func device(named name: String) -> SysfsBlockDevice {
        let dir = rootPath + "/block/" + name
        let linkTarget = (try? FileManager.default.destinationOfSymbolicLink(atPath: dir)) ?? ""
        let deviceDir = dir + "/device"
        let ancestors = ancestors(of: deviceDir)
        let usb = ancestors.first { access($0 + "/idVendor", F_OK) == 0 }
        let scsiVendor = string(deviceDir, "vendor").flatMap { $0.hasPrefix("0x") ? nil : $0 }

        return SysfsBlockDevice(
            name: name,
            devNumber: string(dir, "dev").flatMap { DeviceNumber($0) },
            size: (int(dir, "size") ?? 0) * 512,
            logicalSectorSize: Int(int(dir, "queue/logical_block_size") ?? 512),
            physicalSectorSize: Int(int(dir, "queue/physical_block_size") ?? 512),
            removable: int(dir, "removable") == 1,
            readOnly: int(dir, "ro") == 1,
            devicePath: linkTarget,
            vendor: scsiVendor ?? usb.flatMap { string($0, "manufacturer") },
            model: string(deviceDir, "model") ?? string(deviceDir, "name") ?? usb.flatMap { string($0, "product") },
            serial: string(dir, "serial") ?? string(deviceDir, "serial") ?? usb.flatMap { string($0, "serial") },
            hotplugAncestor: hotplug(ancestors),
            holders: entries(dir + "/holders"),
            partitions: partitions(of: dir, diskName: name),
            dmName: string(dir, "dm/name"),
            backingFile: string(dir, "loop/backing_file"),
            diskSequence: string(dir, "diskseq").flatMap { UInt64($0) })
    }

    private func partitions(of dir: String, diskName: String) -> [SysfsPartition] {
        entries(dir).compactMap { child in
            let partDir = dir + "/" + child
            guard child.hasPrefix(diskName), let number = int(partDir, "partition") else { return nil }
            return SysfsPartition(name: child, number: Int(number),
                                  devNumber: string(partDir, "dev").flatMap { DeviceNumber($0) },
                                  start: (int(partDir, "start") ?? 0) * 512,
                                  size: (int(partDir, "size") ?? 0) * 512,
                                  holders: entries(partDir + "/holders"))
        }.sorted { $0.number < $1.number }
    }

    /// lsblk's rule: the nearest ancestor with a `removable` attribute of "removable" or "fixed" decides.
    private func hotplug(_ ancestors: [String]) -> Bool {
        for dir in ancestors {
            switch string(dir, "removable") {
            case "removable": return true
            case "fixed": return false
            default: continue
            }
        }
        return false
    }

    /// The directories from a disk's device directory (symlinks resolved) up to the sysfs root,
    /// nearest first; empty when it has none (a loop device, a recorded tree without it).
    private func ancestors(of deviceDir: String) -> [String] {
        guard let resolved = realpath(deviceDir, nil) else { return [] }
        defer { free(resolved) }
        let stop = URL(fileURLWithPath: rootPath).resolvingSymlinksInPath().standardizedFileURL.path
        var result: [String] = []
        var dir = String(cString: resolved)
        while dir.hasPrefix(stop + "/"), dir.count > stop.count + 1 {
            result.append(dir)
            dir = String(dir[..<(dir.lastIndex(of: "/") ?? dir.startIndex)])
        }
        return result
    }

    private func entries(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    /// An attribute's text, trimmed; nil when it is missing, unreadable or empty. Attributes are
    /// short: one read of up to 4 KiB (a sysfs attribute is at most a page).
    private func string(_ dir: String, _ attribute: String) -> String? {
        Self.attribute(atPath: dir + "/" + attribute)
    }

    /// The one way edgeflash reads a sysfs attribute (also where a device is known by its number,
    /// under /sys/dev/block).
    static func attribute(atPath path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    private func int(_ dir: String, _ attribute: String) -> Int64? {
        string(dir, attribute).flatMap { Int64($0) }
    }
}
