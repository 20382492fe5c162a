import Foundation

/// A `/dev/disk/by-diskseq/N` link names one disk *instance*, not a place: the kernel gives a disk a
/// new sequence number (sysfs `diskseq`) each time its media changes or a loop device is attached
/// again, and udev names the link after it. Once the device the link points to has another number
/// (udev did not remove the link, or the device name was reused), the link names a disk that is
/// gone and points at another: writing through it would erase a disk no one named. Such a link is
/// known by its shape, a number in a directory named `by-diskseq`, wherever that directory is (a
/// copy of udev's links is checked as udev's are); a partition's link (`N-partM`) is not a disk's.
public struct DiskSequenceLink: Sendable, Equatable {
    /// The sequence number the link's name gives.
    public var named: UInt64
    /// The sequence number of the device it points to now; nil when the kernel gives none.
    public var current: UInt64?

    public init(named: UInt64, current: UInt64?) {
        self.named = named
        self.current = current
    }

    /// The sequence number `path` names when it is a by-diskseq link to a disk; nil otherwise.
    public static func sequence(named path: String) -> UInt64? {
        let components = path.split(separator: "/")
        guard components.count >= 2, components[components.count - 2] == "by-diskseq" else { return nil }
        return UInt64(components[components.count - 1])
    }

    /// The sequence numbers of the by-diskseq links `path` leads through to its device: `path`
    /// itself, made absolute and without `.` or `..` (as typed inside /dev/disk/by-diskseq, or as
    /// `by-diskseq/./12`), then every link it points to in turn (a link to such a link).
    static func sequences(along path: String) -> [UInt64] {
        var numbers: [UInt64] = []
        var current = URL(fileURLWithPath: path).standardized
        for _ in 0..<40 {  // the kernel's own bound on links followed
            if let number = sequence(named: current.path) { numbers.append(number) }
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current.path) else { break }
            current = URL(fileURLWithPath: target, relativeTo: current.deletingLastPathComponent()).standardized
        }
        return numbers
    }

    /// `path` as a by-diskseq link to `device` (what stat(2) found through it), with the device's
    /// sequence number read from sysfs: the first link on the way that names another number than
    /// the device's, else the first; nil when the way goes through no such link.
    static func live(path: String, device: DeviceNumber?) -> DiskSequenceLink? {
        let named = sequences(along: path)
        guard let first = named.first else { return nil }
        let current = device.flatMap { SysfsReader.attribute(atPath: "/sys/dev/block/\($0)/diskseq") }.flatMap { UInt64($0) }
        return DiskSequenceLink(named: named.first { $0 != current } ?? first, current: current)
    }

    /// The same refusal for a command that only reads the disk (`check`, `verify`): what it would
    /// report through a stale link is about another disk than the one the link names.
    public static func refuseIfStale(_ path: String) throws {
        guard let status = FileStatus.of(path), status.kind == .blockDevice,
              let link = live(path: path, device: status.rawDevice) else { return }
        let device = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if let refusal = link.refusal(path, pointingTo: device) { throw refusal }
    }

    /// Why the link given as `path` no longer names `device`, the disk it points to; nil when it does.
    func refusal(_ path: String, pointingTo device: String) -> TargetRefusal? {
        guard current != named else { return nil }
        let message = current.map { "\(path) is a stale link: it names disk sequence \(named), but \(device), which it points to, is disk sequence \($0): another disk than the one the link was made for" }
            ?? "\(path) names disk sequence \(named), but \(device), which it points to, states none: it cannot be told to be the disk the link was made for"
        return TargetRefusal(.staleLink, message,
                             hint: "name the disk by its /dev/disk/by-id link or its device name (see 'edgeflash list --all'); no flag overrides this")
    }
}
