import Foundation

/// Reads /sys/block (or a recorded copy of it: the root is injectable) into plain values.
/// Missing attributes read as nil: drivers expose different sets, and a recorded tree has only
/// what matters.
public struct SysfsReader: Sendable {
    public let root: URL

    public init(root: URL = URL(fileURLWithPath: "/sys")) {
        self.root = root
    }

    public func blockDevices() throws -> [SysfsBlockDevice] {
        let block = root.appendingPathComponent("block")
        let names = try FileManager.default.contentsOfDirectory(atPath: block.path).sorted()
        return names.map { device(named: $0) }
    }

    public func device(named name: String) -> SysfsBlockDevice {
        let dir = root.appendingPathComponent("block").appendingPathComponent(name)
        let linkTarget = (try? FileManager.default.destinationOfSymbolicLink(atPath: dir.path)) ?? ""
        let deviceDir = dir.appendingPathComponent("device")
        let usb = usbAncestor(of: deviceDir)
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
            hotplugAncestor: hotplugAncestor(of: deviceDir),
            holders: entries(dir.appendingPathComponent("holders")),
            partitions: partitions(of: dir, diskName: name),
            dmName: string(dir, "dm/name"),
            backingFile: string(dir, "loop/backing_file"))
    }

    private func partitions(of dir: URL, diskName: String) -> [SysfsPartition] {
        entries(dir).compactMap { child in
            let partDir = dir.appendingPathComponent(child)
            guard child.hasPrefix(diskName), let number = int(partDir, "partition") else { return nil }
            return SysfsPartition(name: child, number: Int(number),
                                  devNumber: string(partDir, "dev").flatMap { DeviceNumber($0) },
                                  start: (int(partDir, "start") ?? 0) * 512,
                                  size: (int(partDir, "size") ?? 0) * 512,
                                  holders: entries(partDir.appendingPathComponent("holders")))
        }.sorted { $0.number < $1.number }
    }

    /// The USB device (the directory with idVendor) above a disk, where the serial, manufacturer
    /// and product of a USB stick live.
    private func usbAncestor(of deviceDir: URL) -> URL? {
        ancestors(of: deviceDir).first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("idVendor").path) }
    }

    /// lsblk's rule: the nearest ancestor with a `removable` attribute of "removable" or "fixed" decides.
    private func hotplugAncestor(of deviceDir: URL) -> Bool {
        for dir in ancestors(of: deviceDir) {
            switch string(dir, "removable") {
            case "removable": return true
            case "fixed": return false
            default: continue
            }
        }
        return false
    }

    private func ancestors(of deviceDir: URL) -> [URL] {
        let resolved = deviceDir.resolvingSymlinksInPath().standardizedFileURL
        let stop = root.resolvingSymlinksInPath().standardizedFileURL.path
        guard resolved.path != deviceDir.path || FileManager.default.fileExists(atPath: resolved.path) else { return [] }
        var result: [URL] = []
        var dir = resolved
        while dir.path.hasPrefix(stop + "/"), dir.path.count > stop.count + 1 {
            result.append(dir)
            dir = dir.deletingLastPathComponent()
        }
        return result
    }

    private func entries(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }

    private func string(_ dir: URL, _ attribute: String) -> String? {
        guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(attribute).path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    private func int(_ dir: URL, _ attribute: String) -> Int64? {
        string(dir, attribute).flatMap { Int64($0) }
    }
}
