/// An active swap area from /proc/swaps.
public struct SwapEntry: Sendable, Equatable {
    /// As /proc/swaps names it: "/dev/sda2", "/dev/dm-1", "/swapfile".
    public var path: String
    /// The device it lives on when the live reader could stat it: the block device itself for
    /// a swap partition, the device holding the file for a swap file.
    public var device: DeviceNumber?
    /// For a swap file: the file itself, by device and inode, so a loop device over it (by any
    /// path) is found as an alias of the swap.
    public var file: FileIdentity?

    public init(path: String, device: DeviceNumber? = nil, file: FileIdentity? = nil) {
        self.path = path
        self.device = device
        self.file = file
    }
}

public enum SwapTable {
    /// Parses /proc/swaps: a header line, then `Filename Type Size Used Priority` per swap.
    /// Spaces in names are written as \040, as in mountinfo.
    public static func parse(_ text: String) -> [SwapEntry] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            guard let first = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first else { return nil }
            return SwapEntry(path: MountTable.unescape(first))
        }
    }
}
