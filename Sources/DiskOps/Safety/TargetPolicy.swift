import EdgeCore

/// The safety policy for writing an image to a device: pure, over `TargetFacts`, so every
/// refusal is tested with recorded inputs and no real disk is ever aimed at.
public enum TargetPolicy {
    public enum Decision: Sendable, Equatable {
        /// Write to this disk.
        case allowed(Disk)
        /// --unmount was given: unmount these mountpoints, then ask again.
        case unmountFirst(Disk, mountpoints: [String])
    }

    public static func evaluate(_ request: TargetRequest, facts: TargetFacts) throws(TargetRefusal) -> Decision {
        let path = request.devicePath
        // By name first: /dev/loop0p1 has no node on this kernel, yet it is still a partition.
        if let (disk, part) = partition(named: path, in: facts.disks) {
            throw partitionRefusal(path, part: part, disk: disk)
        }
        guard let target = facts.target else {
            throw TargetRefusal(.missing, "\(path) does not exist",
                                hint: "run 'edgeflash list' to see the drives you can write")
        }
        guard target.kind == .blockDevice, let dev = target.rawDevice else {
            throw TargetRefusal(.notBlockDevice, "\(path) is \(target.kindName), not a block device",
                                hint: "give the whole disk, such as /dev/sdb; run 'edgeflash list' to see them")
        }
        // A stale by-diskseq link points at another disk than it names: nothing else about that
        // disk matters, the user never named it.
        if let refusal = facts.sequenceLink?.refusal(path, pointingTo: facts.disks.first { $0.devNumber == dev }?.path ?? "device \(dev)") {
            throw refusal
        }
        if let (disk, part) = partition(numbered: dev, in: facts.disks) {
            throw partitionRefusal(path, part: part, disk: disk)
        }
        guard let disk = facts.disks.first(where: { $0.devNumber == dev }) else {
            throw TargetRefusal(.unknownDevice, "\(path) (\(dev)) is not a disk listed in /sys/block",
                                hint: "run 'edgeflash list --all' to see the disks")
        }
        return try evaluate(disk, as: path, request: request, facts: facts)
    }

    private static func evaluate(_ disk: Disk, as path: String, request: TargetRequest,
                                 facts: TargetFacts) throws(TargetRefusal) -> Decision {
        let name = path == disk.path ? path : "\(path) (\(disk.path))"
        // First: when this is not the disk the script meant, that says the most.
        if let refusal = request.expectation.refusal(for: disk, as: name) { throw refusal }
        if disk.isSystem {
            throw TargetRefusal(.systemDisk, "\(name) is a system disk: it \(disk.systemReason ?? "holds the running system")",
                                hint: "no flag overrides this: edgeflash never writes the disk the running system lives on")
        }
        let aliases = DiskAliases(disks: facts.disks, mounts: facts.mounts, swaps: facts.swaps)
        if let image = facts.imageDevice, aliases.disksHolding(image).contains(disk.name) {
            throw TargetRefusal(.holdsImage, "\(name) holds the image \(request.imagePath ?? ""): writing it would destroy the source mid-write",
                                hint: "copy the image to another disk first; no flag overrides this")
        }
        if !disk.holders.isEmpty {
            throw TargetRefusal(.heldByStack, "\(name) is in use by \(disk.holders.joined(separator: ", ")) (device-mapper or RAID)",
                                hint: "close it first (cryptsetup close, vgchange -an, mdadm --stop); no flag overrides this")
        }
        let image = request.imagePath.map { (path: $0, file: facts.imageFile, device: facts.imageDevice) }
        if let alias = aliases.alias(of: disk, image: image) {
            throw TargetRefusal(.aliasOfProtected, "\(name) \(alias.explanation)",
                                hint: "writing it would destroy \(alias.loss); no flag overrides this")
        }
        if disk.readOnly {
            throw TargetRefusal(.readOnly, "\(name) is read-only",
                                hint: "slide the write-protect switch on the stick or SD card adapter to unlock it and plug it in again (for a loop device: blockdev --setrw)")
        }
        if disk.size < request.imageSize {
            throw TargetRefusal(.tooSmall, "\(name) is too small: \(ByteCount.human(disk.size)) for an image of \(ByteCount.human(request.imageSize)) (\(request.imageSize) bytes)",
                                hint: "use a drive of at least \(ByteCount.human(request.imageSize)); no flag overrides this")
        }
        let mounted = disk.allMountpoints
        if !mounted.isEmpty {
            if request.unmount { return .unmountFirst(disk, mountpoints: mounted) }
            throw TargetRefusal(.mounted, "\(name) is mounted at \(mounted.joined(separator: ", "))",
                                hint: "pass --unmount to unmount it first")
        }
        // A loop device is a file the user named on purpose (and how tests and demos work).
        if let why = disk.notCandidateReason, disk.transport != "loop", !request.force {
            throw TargetRefusal(.notCandidate, "\(name) is not a drive edgeflash offers: \(why)",
                                hint: "pass --force if you are sure this is the disk to erase")
        }
        return .allowed(disk)
    }

    private static func partitionRefusal(_ path: String, part: Disk.Partition, disk: Disk) -> TargetRefusal {
        TargetRefusal(.partition, "\(path) is partition \(part.number) of \(disk.path), not a whole disk",
                      hint: "use the whole disk \(disk.path)")
    }

    private static func partition(named path: String, in disks: [Disk]) -> (Disk, Disk.Partition)? {
        for disk in disks { if let part = disk.partitions.first(where: { $0.path == path }) { return (disk, part) } }
        return nil
    }

    private static func partition(numbered dev: DeviceNumber, in disks: [Disk]) -> (Disk, Disk.Partition)? {
        for disk in disks { if let part = disk.partitions.first(where: { $0.devNumber == dev }) { return (disk, part) } }
        return nil
    }
}
