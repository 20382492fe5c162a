/// Turns a snapshot into the disks `edgeflash list` shows: partitions, filesystems, mounts,
/// the system flag and whether each disk is a candidate for flashing. Pure given the prober.
public enum Inventory {
    /// Probes `size` bytes at `offset` of a device path (0, 0: the whole device); nil when it can't.
    public typealias Prober = (_ path: String, _ offset: Int64, _ size: Int64) -> BlkidReport?

    /// Mountpoints that make the disk under them a system disk.
    public static let systemMountpoints: Set<String> = ["/", "/boot", "/boot/efi", "/usr", "/var", "/home"]

    /// Transports `list` offers by default even when sysfs says removable=0 (fixed-flash sticks).
    public static let candidateTransports: Set<String> = ["usb", "mmc"]

    /// Virtual devices with nothing attached (size 0 loop, zram...) are noise, not disks.
    static let virtualTransports: Set<String> = ["loop", "zram", "ram", "nbd"]

    /// Every disk in the snapshot, in /sys/block order.
    public static func disks(from snapshot: SystemSnapshot, probe: Prober) -> [Disk] {
        var disks = snapshot.devices.compactMap { device -> Disk? in
            let transport = Transport.derive(name: device.name, devicePath: device.devicePath)
            if device.size == 0, let transport, virtualTransports.contains(transport) { return nil }
            return disk(from: device, transport: transport, snapshot: snapshot, probe: probe)
        }
        markSystemDisks(&disks)
        let aliases = DiskAliases(disks: disks, mounts: snapshot.mounts, swaps: snapshot.swaps)
        for index in disks.indices {
            disks[index].notCandidateReason = notCandidateReason(disks[index], alias: aliases.alias(of: disks[index]))
        }
        return disks
    }

    /// The partition device name the kernel would use: sdb -> sdb1, loop0 -> loop0p1, nvme0n1 -> nvme0n1p1.
    public static func partitionName(disk: String, number: Int) -> String {
        (disk.last?.isNumber ?? false) ? "\(disk)p\(number)" : "\(disk)\(number)"
    }

    private static func disk(from device: SysfsBlockDevice, transport: String?, snapshot: SystemSnapshot,
                             probe: Prober) -> Disk {
        let path = "/dev/\(device.name)"
        let report = device.size > 0 ? probe(path, 0, 0) : nil
        let tableEntries = report?.partitions ?? []

        var partitions: [Disk.Partition]
        if !device.partitions.isEmpty {
            partitions = device.partitions.map { part in
                Disk.Partition(path: "/dev/\(part.name)", name: part.name, number: part.number,
                               devNumber: part.devNumber, start: part.start, size: part.size,
                               type: tableEntries.first { $0.number == part.number }?.type,
                               hasDeviceNode: true)
            }
        } else {
            // This kernel makes no nodes for loop partitions: read them from the table instead.
            partitions = tableEntries.map { entry in
                let name = partitionName(disk: device.name, number: entry.number)
                return Disk.Partition(path: "/dev/\(name)", name: name, number: entry.number,
                                      start: entry.start, size: entry.size, type: entry.type,
                                      hasDeviceNode: false)
            }
        }
        for index in partitions.indices {
            let part = partitions[index]
            if let found = probe(path, part.start, part.size) {
                partitions[index].fsType = found.type
                partitions[index].label = found.label
                partitions[index].uuid = found.uuid
            }
            partitions[index].mountpoints = mountpoints(of: part.devNumber, path: part.path, in: snapshot)
            partitions[index].swap = isSwap(devNumber: part.devNumber, paths: [part.path], in: snapshot)
        }

        var paths = [path]
        if let dmName = device.dmName { paths.append("/dev/mapper/\(dmName)") }
        let partitionHolders = device.partitions.flatMap(\.holders)
        return Disk(path: path, name: device.name, devNumber: device.devNumber, size: device.size,
                    logicalSectorSize: device.logicalSectorSize, physicalSectorSize: device.physicalSectorSize,
                    vendor: device.vendor, model: device.model, serial: device.serial, transport: transport,
                    removable: device.removable, hotplug: device.hotplugAncestor || transport == "usb",
                    readOnly: device.readOnly, partitionTable: report?.partitionTable,
                    fsType: report?.type, label: report?.label, uuid: report?.uuid,
                    partitions: partitions,
                    mountpoints: mountpoints(of: device.devNumber, path: path, in: snapshot),
                    swap: isSwap(devNumber: device.devNumber, paths: paths, in: snapshot),
                    holders: Array(Set(device.holders + partitionHolders)).sorted(),
                    backingFile: device.backingFile, backingFileIdentity: device.backingFileIdentity,
                    diskSequence: device.diskSequence)
    }

    private static func mountpoints(of dev: DeviceNumber?, path: String, in snapshot: SystemSnapshot) -> [String] {
        snapshot.mounts.filter { ($0.device == dev && dev != nil) || $0.source == path }.map(\.mountpoint)
    }

    private static func isSwap(devNumber: DeviceNumber?, paths: [String], in snapshot: SystemSnapshot) -> Bool {
        snapshot.swaps.contains { swap in
            (devNumber != nil && swap.device == devNumber) || paths.contains(swap.path)
        }
    }

    /// A disk is a system disk when it, or a partition of it, holds a system mountpoint or an
    /// active swap, or when a dm/md device stacked on it is a system disk (LVM, RAID, LUKS root).
    private static func markSystemDisks(_ disks: inout [Disk]) {
        let byName = Dictionary(disks.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

        func reason(_ name: String, visiting: Set<String>) -> String? {
            guard let disk = byName[name], !visiting.contains(name) else { return nil }
            if let mount = disk.allMountpoints.filter(systemMountpoints.contains).sorted().first {
                return "holds \(mount)"
            }
            if disk.swap || disk.partitions.contains(where: \.swap) { return "holds an active swap" }
            for holder in disk.holders {
                if let inner = reason(holder, visiting: visiting.union([name])) {
                    return inner.hasPrefix("below ") ? "below \(holder), " + inner : "below \(holder), which \(inner)"
                }
            }
            return nil
        }

        for index in disks.indices {
            if let why = reason(disks[index].name, visiting: []) {
                disks[index].isSystem = true
                disks[index].systemReason = why
            }
        }
    }

    /// nil for a disk `list` offers by default; otherwise the reason `list --all` shows.
    static func notCandidateReason(_ disk: Disk, alias: DiskAliases.Alias? = nil) -> String? {
        if disk.isSystem { return "system disk: \(disk.systemReason ?? "holds the running system")" }
        if let alias { return "alias of a protected disk: it \(alias.explanation)" }
        // The sr driver names every optical drive srN: a disc is not a stick, whatever its bus.
        if disk.name.hasPrefix("sr") { return "optical drive (CD/DVD/BD): edgeflash writes sticks and disks, not discs" }
        if disk.size == 0 { return "no medium" }
        switch disk.transport {
        case "loop": return "loop device (a file-backed virtual disk)"
        case "dm", "md", "zram", "ram", "nbd": return "virtual device (\(disk.transport!))"
        default: break
        }
        // eMMC hardware boot areas (mmcblk0boot0) and RPMB sit on the mmc bus but hold firmware.
        if disk.transport == "mmc", disk.name.contains("boot") || disk.name.hasSuffix("rpmb") {
            return "eMMC boot or RPMB area (firmware, not a card)"
        }
        if !disk.holders.isEmpty { return "in use by \(disk.holders.joined(separator: ", "))" }
        let onFlashBus = disk.transport.map(candidateTransports.contains) ?? false
        if !(disk.removable || disk.hotplug || onFlashBus) {
            return "fixed disk: not removable, not hotplug, not on USB or MMC"
        }
        return nil
    }
}

extension Inventory {
    /// Why `list` would not offer the whole disk `name` in `snapshot`; nil when it would. The
    /// question the udev rule asks when a drive is plugged in, so the edgeflash group can write
    /// exactly what edgeflash itself would offer (never a system disk, an internal disk, an optical
    /// drive or a partition). Filesystems are not probed: the answer rests on the bus, the flags
    /// and the mounts.
    public static func notOfferedAtPlugTime(name: String, in snapshot: SystemSnapshot) -> String? {
        guard let disk = disks(from: snapshot, probe: { _, _, _ in nil }).first(where: { $0.name == name }) else {
            return "no such whole disk"
        }
        return disk.notCandidateReason
    }

    /// libblkid on the real device; a device it cannot read (no medium, no permission) shows no details.
    public static func blkidProbe(_ path: String, _ offset: Int64, _ size: Int64) -> BlkidReport? {
        try? BlkidProbe.probe(path: path, offset: offset, size: size)
    }

    /// The running machine's disks.
    public static func live() throws -> [Disk] {
        try disks(from: SystemSnapshot.live(), probe: blkidProbe)
    }
}
