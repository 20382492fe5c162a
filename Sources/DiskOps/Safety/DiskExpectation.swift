import EdgeCore

/// What a script says the target must be (`--expect-serial`, `--expect-size`): on an Edge host a
/// disk's name can change between boots, so a scripted install names the disk and also says which
/// disk it means. Any other disk is refused before anything is opened for writing.
public struct DiskExpectation: Sendable, Equatable {
    /// The serial number sysfs reports, compared exactly (surrounding spaces ignored).
    public var serial: String?
    /// The size in bytes.
    public var size: Int64?

    public init(serial: String? = nil, size: Int64? = nil) {
        self.serial = serial
        self.size = size
    }

    public var isEmpty: Bool { serial == nil && size == nil }

    /// Why `disk` (named `name` as the user gave it) is not the expected disk; nil when it is.
    func refusal(for disk: Disk, as name: String) -> TargetRefusal? {
        let hint = "check the disk with 'edgeflash list --all'; no flag overrides this"
        if let serial, disk.serial?.trimmingCharacters(in: .whitespaces) != serial.trimmingCharacters(in: .whitespaces) {
            let has = disk.serial.map { "has serial \(VisibleText.inLine($0))" } ?? "reports no serial"
            return TargetRefusal(.notExpected, "\(name) \(has), not the expected \(serial) (--expect-serial)", hint: hint)
        }
        if let size, disk.size != size {
            return TargetRefusal(.notExpected, "\(name) is \(disk.size) bytes (\(ByteCount.human(disk.size))), not the expected \(size) bytes (--expect-size)",
                                 hint: hint)
        }
        return nil
    }
}
