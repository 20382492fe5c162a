import EdgeCore
import FileIO

extension Disk {
    /// Whether `other`, found at this disk's name later, is the same stick. The kernel numbers
    /// each disk it brings up (`diskSequence`), and numbers a removable stick again after a bus
    /// reset or a media-change event with nothing pulled: a stick that reports a serial is the
    /// same stick while its serial and size are. One that reports none (a loop device, a cheap
    /// stick) is known by its number alone; where the kernel gives no number, by its name.
    public func isSameStick(as other: Disk) -> Bool {
        if let serial = serial?.trimmingCharacters(in: .whitespaces), !serial.isEmpty {
            return other.serial?.trimmingCharacters(in: .whitespaces) == serial && other.size == size
        }
        guard let sequence = diskSequence, let otherSequence = other.diskSequence else { return true }
        return sequence == otherSequence
    }
}

/// The checked disk, and only it, at each open of a stick by its name after its preflight: a stick
/// pulled meanwhile may have given its name to another (a station's next stick, a technician's own
/// drive), which must not be written, blanked or partitioned.
enum SameStick {
    /// Throws unless the disk `opened` holds (its `OpenFile.diskSequence`) is `checked`.
    /// `written`: whether the write had already put bytes on the stick, for what the message says.
    static func require(_ checked: Disk, opened sequence: UInt64?, written: Bool) throws {
        guard let expected = checked.diskSequence, let sequence, sequence != expected else { return }
        // Numbered again: another stick, or this one after a reset (its serial and size say which).
        let now = try? Inventory.disks(from: SystemSnapshot.live(), probe: { _, _, _ in nil }).first { $0.name == checked.name }
        if let now, now.diskSequence == sequence, checked.isSameStick(as: now) { return }
        throw EdgeError(.refused, "\(checked.path) is another disk than the one checked before writing (disk sequence \(sequence), not \(expected)): the stick was removed and another took its name, which was left untouched",
                        hint: written ? "The stick that was removed holds part of this write: write it again before using it."
                                      : "Nothing was written. Insert the stick again and run the command again.")
    }

    /// Before a step that opens the stick by its name itself (libparted): the disk there now must
    /// be `checked` (what libparted then opens can still change in between: microseconds, not the
    /// whole write).
    static func require(_ checked: Disk, written: Bool) throws {
        guard checked.diskSequence != nil else { return }
        let now = try OpenFile.open(checked.path)
        defer { now.close() }
        try require(checked, opened: now.diskSequence, written: written)
    }
}
