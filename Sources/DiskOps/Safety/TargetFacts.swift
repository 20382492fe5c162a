/// What the policy decides on: the disks, the mounts, what the target path is and which device
/// holds the image. Built from recorded inputs in tests and from the machine by `live(for:)`.
public struct TargetFacts: Sendable {
    public var disks: [Disk]
    public var mounts: [MountEntry]
    /// Active swaps: a swap file is protected like a mounted disk.
    public var swaps: [SwapEntry]
    /// stat(2) of the target path; nil when it does not exist.
    public var target: FileStatus?
    /// The device the image file lives on (or the image itself when it is a block device).
    public var imageDevice: DeviceNumber?
    /// The image file's device and inode, so a loop device over it is found by any path.
    public var imageFile: FileIdentity?
    /// The target path as a /dev/disk/by-diskseq link, with the sequence number of the device it
    /// points to now; nil for any other path.
    public var sequenceLink: DiskSequenceLink?

    public init(disks: [Disk], mounts: [MountEntry] = [], swaps: [SwapEntry] = [], target: FileStatus?,
                imageDevice: DeviceNumber?, imageFile: FileIdentity? = nil, sequenceLink: DiskSequenceLink? = nil) {
        self.disks = disks
        self.mounts = mounts
        self.swaps = swaps
        self.target = target
        self.imageDevice = imageDevice
        self.imageFile = imageFile
        self.sequenceLink = sequenceLink
    }

    /// Reads the machine: /sys, mountinfo, /proc/swaps, libblkid, and stat of both paths.
    public static func live(_ request: TargetRequest) throws -> TargetFacts {
        let snapshot = try SystemSnapshot.live()
        return facts(request, disks: Inventory.disks(from: snapshot, probe: Inventory.blkidProbe), snapshot: snapshot)
    }

    /// For several requests checked one after another (a write to several devices): the disks and
    /// mounts are read once (libblkid probes every disk: tens of MB and a few hundred ms), the two
    /// paths per request. Not with --unmount, which must see the machine again after unmounting.
    public static func liveOnce() throws -> (TargetRequest) throws -> TargetFacts {
        let snapshot = try SystemSnapshot.live()
        let disks = Inventory.disks(from: snapshot, probe: Inventory.blkidProbe)
        return { request in facts(request, disks: disks, snapshot: snapshot) }
    }

    private static func facts(_ request: TargetRequest, disks: [Disk], snapshot: SystemSnapshot) -> TargetFacts {
        let image = request.imagePath.flatMap(FileStatus.of), target = FileStatus.of(request.devicePath)
        return TargetFacts(disks: disks, mounts: snapshot.mounts, swaps: snapshot.swaps, target: target,
                           imageDevice: image?.containingDevice, imageFile: image?.kind == .regularFile ? image?.identity : nil,
                           sequenceLink: DiskSequenceLink.live(path: request.devicePath, device: target?.rawDevice))
    }
}
