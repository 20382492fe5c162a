import Foundation
@testable import DiskOps

/// Recorded machines under Fixtures/: a sysfs tree (sys/), mountinfo and swaps for each, and where
/// loop devices are attached, what stat(2) said of their backing files (backing-files: PATH DEV INODE).
enum InventoryFixtures {
    static func directory(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    static func snapshot(_ name: String) throws -> SystemSnapshot {
        let dir = directory(name)
        let stats = (try? String(contentsOf: dir.appendingPathComponent("backing-files"), encoding: .utf8)) ?? ""
        let identities = Dictionary(stats.split(separator: "\n").compactMap { line -> (String, FileIdentity)? in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let identity = FileIdentity(fields[1...].joined(separator: " ")) else { return nil }
            return (String(fields[0]), identity)
        }, uniquingKeysWith: { first, _ in first })
        let devices = try SysfsReader(root: dir.appendingPathComponent("sys")).blockDevices().map { device in
            var device = device
            device.backingFileIdentity = device.backingFile.flatMap { identities[$0] }
            return device
        }
        let mounts = MountTable.parse(try String(contentsOf: dir.appendingPathComponent("mountinfo"), encoding: .utf8))
        let swaps = SwapTable.parse(try String(contentsOf: dir.appendingPathComponent("swaps"), encoding: .utf8))
        return SystemSnapshot(devices: devices, mounts: mounts, swaps: swaps)
    }

    /// The disks of a recorded machine; libblkid answers come from `reports` (by path@offset).
    static func disks(_ name: String, reports: [String: BlkidReport] = [:]) throws -> [Disk] {
        Inventory.disks(from: try snapshot(name)) { path, offset, _ in reports["\(path)@\(offset)"] }
    }
}
