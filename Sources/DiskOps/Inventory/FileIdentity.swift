/// Which file a path names, as stat(2) tells it: the device the file lives on and its inode.
/// Two paths (a hard link, a bind mount, a renamed directory) name the same file exactly when
/// their identities are equal, which their strings can't tell.
public struct FileIdentity: Sendable, Hashable, CustomStringConvertible {
    public var device: DeviceNumber
    public var inode: UInt64

    public init(device: DeviceNumber, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// Parses "254:0 1234", as recorded machines write it.
    public init?(_ text: some StringProtocol) {
        let fields = text.split(separator: " ")
        guard fields.count == 2, let device = DeviceNumber(fields[0]), let inode = UInt64(fields[1]) else { return nil }
        self.init(device: device, inode: inode)
    }

    public var description: String { "\(device) \(inode)" }
}
