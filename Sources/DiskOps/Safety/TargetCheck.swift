/// What `write` (and `inject`) ask before touching a device.
public struct TargetRequest: Sendable {
    public var imagePath: String
    public var imageSize: Int64
    public var devicePath: String
    /// --unmount: unmount the disk's mounted partitions instead of refusing.
    public var unmount: Bool
    /// --force: override the refusals that have an override (a fixed, non-removable disk).
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
    /// Returns the disk when the write is allowed; throws a `TargetRefusal` (an `EdgeFlashError`
    /// with `.refused`) naming the reason and the override otherwise. With `unmount`, unmounts
    /// the disk's filesystems and checks again. The policy itself is `TargetPolicy`.
    public static func check(_ request: TargetRequest) throws -> Disk {
        switch try TargetPolicy.evaluate(request, facts: try TargetFacts.live(for: request)) {
        case .allowed(let disk):
            return disk
        case .unmountFirst(let disk, let mountpoints):
            try Unmounter.unmount(mountpoints, of: disk.path)
            var again = request
            again.unmount = false
            switch try TargetPolicy.evaluate(again, facts: try TargetFacts.live(for: again)) {
            case .allowed(let disk): return disk
            case .unmountFirst(let disk, let left):
                throw TargetRefusal(.mounted, "\(disk.path) is still mounted at \(left.joined(separator: ", "))",
                                    hint: "unmount it yourself, then run edgeflash again")
            }
        }
    }
}
