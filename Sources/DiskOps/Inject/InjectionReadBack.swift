import EdgeCore
import ISOVerify

/// After an injection, reads the partition table back from the target and checks the user-data
/// partition is where the plan put it: through libparted where it can read the layout, through the
/// native MBR parser where libparted refuses (an isohybrid whose partition 1 starts at LBA 0).
/// Then libblkid must find the filesystem there with the right type and label, as the installer's
/// probe will.
enum InjectionReadBack {
    static func verify(_ plan: InjectionPlan, path: String, read: (Int64, Int) throws -> [UInt8]) throws {
        let start = plan.start / 512, count = plan.size / 512
        let found: Bool
        do {
            // libparted counts the device's own logical sectors.
            let table = try PartedTableReader.read(path), sector = Int64(table.sectorSize)
            found = table.partitions.contains { $0.number == plan.partitionNumber && $0.startSector * sector == plan.start && $0.sectorCount * sector == plan.size }
        } catch {
            guard plan.layout != .gpt, let mbr = try MBR.parse(read(0, 512)) else { throw error }
            found = mbr.partitions.contains { $0.number == plan.partitionNumber && Int64($0.startLBA) == start && Int64($0.sectors) == count }
        }
        guard found else {
            throw EdgeError(.mismatch, "the partition table on \(path) does not read back with partition \(plan.partitionNumber) at sector \(start)",
                            hint: "The stick may be failing; try another one.")
        }
        let probe = try BlkidProbe.probe(path: path, offset: plan.start, size: plan.size)
        guard probe.type == plan.fileSystem.rawValue, probe.label == plan.label else {
            throw EdgeError(.mismatch, "libblkid finds \(probe.type ?? "no filesystem") labelled \(probe.label.map(VisibleText.inLine) ?? "nothing") at byte \(plan.start) of \(path), not \(plan.fileSystem.rawValue) labelled \(plan.label)",
                            hint: "The stick may be failing; try another one.")
        }
    }
}
