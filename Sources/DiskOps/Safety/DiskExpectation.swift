import EdgeCore

/// Which disk the target must be. A script says it (`--expect-serial`, `--expect-size`): on an
/// Edge host a disk's name can change between boots, so a scripted install names the disk and also
/// says which disk it means. A station says it for each stick it takes: the disk it saw arrive,
/// down to the instance (a stick swapped for another at the same name while it waited for a place
/// is another disk). Any other disk is refused before anything is opened for writing.
public struct DiskExpectation: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// `--expect-serial`, `--expect-size`.
        case options
        /// A station, for the stick it saw arrive at that name.
        case arrival
    }

    /// The serial number sysfs reports, compared exactly (surrounding spaces ignored).
    public var serial: String?
    /// The size in bytes.
    public var size: Int64?
    /// The disk instance (sysfs `diskseq`, `Disk.diskSequence`); no option sets it.
    public var diskSequence: UInt64?
    public var source: Source

    public init(serial: String? = nil, size: Int64? = nil, diskSequence: UInt64? = nil, source: Source = .options) {
        self.serial = serial
        self.size = size
        self.diskSequence = diskSequence
        self.source = source
    }

    /// The disk a station saw arrive: its serial, size and instance.
    public static func arrived(_ disk: Disk) -> DiskExpectation {
        DiskExpectation(serial: disk.serial, size: disk.size, diskSequence: disk.diskSequence, source: .arrival)
    }

    public var isEmpty: Bool { serial == nil && size == nil && diskSequence == nil }

    /// Why `disk` (named `name` as the user gave it) is not the expected disk; nil when it is.
    func refusal(for disk: Disk, as name: String) -> TargetRefusal? {
        guard let difference = difference(from: disk) else { return nil }
        switch source {
        case .options:
            return TargetRefusal(.notExpected, "\(name) \(difference.now), not the expected \(difference.expected)\(difference.option.map { " (\($0))" } ?? "")",
                                 hint: "check the disk with 'edgeflash list --all'; no flag overrides this")
        case .arrival:
            return TargetRefusal(.notExpected, "\(name) changed since the stick arrived: it \(difference.now), not \(difference.expected); not written",
                                 hint: "remove it; a stick inserted again is taken as a new one")
        }
    }

    /// The first expected fact `disk` lacks: what it has, what was expected, and the option that
    /// asked for it.
    private func difference(from disk: Disk) -> (now: String, expected: String, option: String?)? {
        if let serial, disk.serial?.trimmingCharacters(in: .whitespaces) != serial.trimmingCharacters(in: .whitespaces) {
            return (disk.serial.map { "has serial \(VisibleText.inLine($0))" } ?? "reports no serial", VisibleText.inLine(serial), "--expect-serial")
        }
        if let size, disk.size != size {
            return ("is \(disk.size) bytes (\(ByteCount.human(disk.size)))", "\(size) bytes", "--expect-size")
        }
        // The number only where no serial says which stick it is (`Disk.isSameStick`): a reset
        // numbers the same stick again.
        if let diskSequence, (serial ?? "").trimmingCharacters(in: .whitespaces).isEmpty,
           let now = disk.diskSequence, now != diskSequence {
            return ("is disk sequence \(now)", "disk sequence \(diskSequence)", nil)
        }
        return nil
    }
}
