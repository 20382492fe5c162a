/// Which drives a station may take, from one inventory to the next: a drive that appears and is
/// eligible (a stick `list` offers: USB or MMC, removable or fixed-flash, never a system disk; with
/// `allowLoop`, a loop device too) and was not there when the station started. A drive taken stays
/// taken until it is removed, so a finished or failed stick is never written twice while it is
/// still plugged in. Pure over `Disk` values; a drive is its kernel name while the stick there is
/// the same stick (`Disk.isSameStick`: its serial and size, else its disk sequence): another stick
/// or card at the same name within one poll is another drive (the one before it removed), never
/// taken for the one it replaced; a stick the kernel numbered again after a reset is still itself.
public struct DriveArrivals: Sendable {
    public struct Rules: Sendable {
        /// Loop devices stand for sticks (demos and tests).
        public var allowLoop: Bool
        /// With `allowLoop`: only loop devices over files in this directory (tests on a shared
        /// machine, so another program's loop devices are never taken).
        public var loopDirectory: String?

        public init(allowLoop: Bool = false, loopDirectory: String? = nil) {
            self.allowLoop = allowLoop
            self.loopDirectory = loopDirectory
        }

        /// nil when a station may write `disk`; else why not.
        public func refusal(_ disk: Disk) -> String? {
            if disk.transport == "loop", allowLoop, !disk.isSystem, disk.holders.isEmpty, disk.allMountpoints.isEmpty {
                guard let directory = loopDirectory else { return nil }
                let prefix = directory.hasSuffix("/") ? directory : directory + "/"
                return disk.backingFile?.hasPrefix(prefix) == true ? nil : "a loop device over a file outside \(directory)"
            }
            return disk.notCandidateReason
        }
    }

    public let rules: Rules
    /// Drives present when the station started, until removed (their serials stay below), and new
    /// ones it may not take; by name.
    private var passedOver: [String: Disk]
    private var taken: [String: Disk] = [:]
    /// Serials of the drives present at start, kept for the whole run: a drive that drops off its
    /// bus and comes back (a hub or power glitch) is still the technician's own drive.
    private let serialsAtStart: Set<String>

    /// `disks`: the inventory when the station starts; none of them is ever taken.
    public init(present disks: [Disk], rules: Rules) {
        self.rules = rules
        passedOver = Self.byName(disks)
        serialsAtStart = Set(disks.compactMap { $0.serial.flatMap { $0.isEmpty ? nil : $0 } })
    }

    public struct Change: Sendable {
        /// New drives the station may write, now taken, in inventory order.
        public var arrived: [Disk] = []
        /// New drives it may not, with the reason.
        public var passedOver: [(disk: Disk, reason: String)] = []
        /// Taken drives no longer present.
        public var removed: [String] = []
    }

    /// Compares `disks` (the inventory now) with what was seen before.
    public mutating func update(_ disks: [Disk]) -> Change {
        let present = Self.byName(disks)
        // What is still there as the same stick stays as it was; the rest is gone.
        func stillThere(_ seen: [String: Disk]) -> [String: Disk] {
            seen.compactMapValues { disk in present[disk.name].flatMap { disk.isSameStick(as: $0) ? $0 : nil } }
        }
        var change = Change()
        let kept = stillThere(taken)
        change.removed = taken.keys.filter { kept[$0] == nil }.sorted()
        taken = kept
        passedOver = stillThere(passedOver)
        for disk in disks where disk.size > 0 && taken[disk.name] == nil && passedOver[disk.name] == nil {
            if let reason = rules.refusal(disk) ?? presentAtStart(disk) {
                passedOver[disk.name] = disk
                change.passedOver.append((disk, reason))
            } else {
                taken[disk.name] = disk
                change.arrived.append(disk)
            }
        }
        return change
    }

    /// The drives with a medium, by name.
    private static func byName(_ disks: [Disk]) -> [String: Disk] {
        Dictionary(disks.filter { $0.size > 0 }.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private func presentAtStart(_ disk: Disk) -> String? {
        guard let serial = disk.serial, serialsAtStart.contains(serial) else { return nil }
        return "it was present when the station started (serial \(serial)), and has come back"
    }

    /// Drives taken and not yet removed.
    public var plugged: Set<String> { Set(taken.keys) }
}
