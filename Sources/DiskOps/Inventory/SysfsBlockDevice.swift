/// What sysfs says about one entry of /sys/block, before libblkid and mountinfo are added.
/// Plain values, so recorded trees and hand-made cases feed the inventory the same way.
public struct SysfsBlockDevice: Sendable, Equatable {
    public var name: String
    public var devNumber: DeviceNumber?
    public var size: Int64                 // bytes (sysfs counts 512-byte sectors)
    public var logicalSectorSize: Int
    public var physicalSectorSize: Int
    public var removable: Bool
    public var readOnly: Bool
    /// Where /sys/block/NAME points: "../devices/pci0000:00/.../usb1/1-1/.../block/sdb".
    public var devicePath: String
    public var vendor: String?
    public var model: String?
    public var serial: String?
    /// An ancestor device (USB port, bay) declares itself removable.
    public var hotplugAncestor: Bool
    /// Holders of the disk itself ("dm-0"): partitions list their own.
    public var holders: [String]
    public var partitions: [SysfsPartition]
    /// dm/name of a device-mapper device ("vg-root"), for /dev/mapper paths in /proc/swaps.
    public var dmName: String?
    /// loop/backing_file of an attached loop device.
    public var backingFile: String?
    /// What stat(2) says of that file, read beside sysfs (live, or recorded with a fixture): how
    /// two loop devices over one file, or a loop over the image, are told apart from look-alikes.
    public var backingFileIdentity: FileIdentity?
    /// `diskseq`: the kernel's number for this disk instance, new each time its medium changes or
    /// a loop device is attached again; nil from kernels before 5.15.
    public var diskSequence: UInt64?

    public init(name: String, devNumber: DeviceNumber? = nil, size: Int64, logicalSectorSize: Int = 512,
                physicalSectorSize: Int = 512, removable: Bool = false, readOnly: Bool = false,
                devicePath: String, vendor: String? = nil, model: String? = nil, serial: String? = nil,
                hotplugAncestor: Bool = false, holders: [String] = [], partitions: [SysfsPartition] = [],
                dmName: String? = nil, backingFile: String? = nil,
                backingFileIdentity: FileIdentity? = nil, diskSequence: UInt64? = nil) {
        self.name = name
        self.devNumber = devNumber
        self.size = size
        self.logicalSectorSize = logicalSectorSize
        self.physicalSectorSize = physicalSectorSize
        self.removable = removable
        self.readOnly = readOnly
        self.devicePath = devicePath
        self.vendor = vendor
        self.model = model
        self.serial = serial
        self.hotplugAncestor = hotplugAncestor
        self.holders = holders
        self.partitions = partitions
        self.dmName = dmName
        self.backingFile = backingFile
        self.backingFileIdentity = backingFileIdentity
        self.diskSequence = diskSequence
    }
}

/// A partition the kernel created (it has a node under /dev).
public struct SysfsPartition: Sendable, Equatable {
    public var name: String
    public var number: Int
    public var devNumber: DeviceNumber?
    public var start: Int64   // bytes
    public var size: Int64    // bytes
    public var holders: [String]

    public init(name: String, number: Int, devNumber: DeviceNumber? = nil, start: Int64, size: Int64,
                holders: [String] = []) {
        self.name = name
        self.number = number
        self.devNumber = devNumber
        self.start = start
        self.size = size
        self.holders = holders
    }
}
