/// One line of /proc/self/mountinfo: which device is mounted where.
public struct MountEntry: Sendable, Equatable {
    public var device: DeviceNumber
    public var mountpoint: String
    public var fsType: String
    /// The mount source ("/dev/sdb1"); matters where the major:minor is anonymous (btrfs, 0:NN).
    public var source: String

    public init(device: DeviceNumber, mountpoint: String, fsType: String, source: String) {
        self.device = device
        self.mountpoint = mountpoint
        self.fsType = fsType
        self.source = source
    }
}

public enum MountTable {
    /// Parses mountinfo (proc(5)): `id parent major:minor root mountpoint options [tags] - fstype source superoptions`.
    /// Lines it cannot read are skipped: one odd mount must not hide the others.
    public static func parse(_ text: String) -> [MountEntry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 7, let device = DeviceNumber(fields[2]),
                  let dash = fields.firstIndex(of: "-")
            else { return nil }
            let fsType = dash + 1 < fields.count ? String(fields[dash + 1]) : ""
            let source = dash + 2 < fields.count ? unescape(fields[dash + 2]) : ""
            return MountEntry(device: device, mountpoint: unescape(fields[4]), fsType: fsType, source: source)
        }
    }

    /// The kernel writes space, tab, newline and backslash in paths as \040, \011, \012, \134.
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count,
               let value = UInt8(String(decoding: utf8[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
