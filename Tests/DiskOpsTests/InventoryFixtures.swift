import Foundation
@testable import DiskOps

/// Recorded machines under Fixtures/: a sysfs tree (sys/), mountinfo and swaps for each.
enum InventoryFixtures {
    static func directory(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name)
    }

    static func snapshot(_ name: String) throws -> SystemSnapshot {
        let dir = directory(name)
        let devices = try SysfsReader(root: dir.appendingPathComponent("sys")).blockDevices()
        let mounts = MountTable.parse(try String(contentsOf: dir.appendingPathComponent("mountinfo"), encoding: .utf8))
        let swaps = SwapTable.parse(try String(contentsOf: dir.appendingPathComponent("swaps"), encoding: .utf8))
        return SystemSnapshot(devices: devices, mounts: mounts, swaps: swaps)
    }

    /// The disks of a recorded machine; libblkid answers come from `reports` (by path@offset).
    static func disks(_ name: String, reports: [String: BlkidReport] = [:]) throws -> [Disk] {
        Inventory.disks(from: try snapshot(name)) { path, offset, _ in reports["\(path)@\(offset)"] }
    }
}
