// CONTRACT STUB (lead): the inventory/safety helper implements this; the write command calls it.

/// What `write` (and `inject`) ask before touching a device.
public struct TargetRequest: Sendable {
    public var imagePath: String
    public var imageSize: Int64
    public var devicePath: String
    /// --unmount: unmount the disk's mounted partitions instead of refusing.
    public var unmount: Bool
    /// --force: override the refusals that have an override.
    public var force: Bool

    public init(imagePath: String, imageSize: Int64, devicePath: String, unmount: Bool = false, force: Bool = false) {
        self.imagePath = imagePath
        self.imageSize = imageSize
        self.devicePath = devicePath
        self.unmount = unmount
        self.force = force
    }
}

public enum TargetCheck {
    /// Returns the disk when the write is allowed; throws an `EdgeFlashError` with `.refused`
    /// naming the reason and the override otherwise.
    public static func check(_ request: TargetRequest) throws -> Disk {
        fatalError("TargetCheck.check is not implemented yet")
    }
}
