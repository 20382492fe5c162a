/// What `write` (and `inject`) ask before touching a device.
public struct TargetRequest: Sendable {
    /// The image to be written; nil when none is (`inject` adds a volume to a written stick).
    public var imagePath: String?
    public var imageSize: Int64
    public var devicePath: String
    /// --unmount: unmount the disk's mounted partitions instead of refusing.
    public var unmount: Bool
    /// --force: override the refusals that have an override (a fixed, non-removable disk).
    public var force: Bool
    /// --expect-serial, --expect-size: any other disk is refused.
    public var expectation: DiskExpectation

    public init(imagePath: String, imageSize: Int64, devicePath: String, unmount: Bool = false, force: Bool = false,
                expectation: DiskExpectation = DiskExpectation()) {
        self.imagePath = imagePath
        self.imageSize = imageSize
        self.devicePath = devicePath
        self.unmount = unmount
        self.force = force
        self.expectation = expectation
    }

    /// A change that writes no image (`inject`): the disk is checked, its size is not.
    public init(devicePath: String, unmount: Bool = false, force: Bool = false, expectation: DiskExpectation = DiskExpectation()) {
        self.init(imagePath: "", imageSize: 0, devicePath: devicePath, unmount: unmount, force: force, expectation: expectation)
        imagePath = nil
    }
}

public enum TargetCheck {
    /// Returns the disk when the write is allowed; throws a `TargetRefusal` (an `EdgeFlashError`
    /// with `.refused`) naming the reason and the override otherwise. With `unmount`, unmounts
    /// the disk's filesystems and checks again. The policy itself is `TargetPolicy`; `readFacts`
    /// reads the machine, or hands recorded facts to a test.
    public static func check(_ request: TargetRequest,
                             readFacts: (TargetRequest) throws -> TargetFacts = TargetFacts.live) throws -> Disk {
        switch try TargetPolicy.evaluate(request, facts: try readFacts(request)) {
        case .allowed(let disk):
            return disk
        case .unmountFirst(let disk, let mountpoints):
            try Unmounter.unmount(mountpoints, of: disk.path)
            var again = request
            again.unmount = false
            switch try TargetPolicy.evaluate(again, facts: try readFacts(again)) {
            case .allowed(let disk): return disk
            case .unmountFirst(let disk, let left):
                throw TargetRefusal(.mounted, "\(disk.path) is still mounted at \(left.joined(separator: ", "))",
                                    hint: "unmount it yourself, then run edgeflash again")
            }
        }
    }
}
