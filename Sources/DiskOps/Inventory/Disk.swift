/// A whole-disk block device as sysfs, libblkid, mountinfo and /proc/swaps describe it.
/// The JSON form (`edgeflash list --json`) is documented in docs/list-json.md: every key is
/// always present (null when unknown), so scripts can rely on the shape.
public struct Disk: Sendable, Codable, Equatable {
    public var path: String            // /dev/sdb
    public var name: String            // sdb
    public var devNumber: DeviceNumber?
    public var size: Int64             // bytes
    public var logicalSectorSize: Int
    public var physicalSectorSize: Int
    public var vendor: String?
    public var model: String?
    public var serial: String?
    public var transport: String?      // usb, sata, nvme, mmc, virtio, loop, dm, md...
    public var removable: Bool
    /// The device sits on a bus the kernel can unplug it from (USB, a removable port).
    public var hotplug: Bool
    public var readOnly: Bool
    public var partitionTable: String? // dos, gpt...
    /// A filesystem (or ISO 9660 volume) found at the start of the whole disk.
    public var fsType: String?
    public var label: String?
    public var uuid: String?
    public var partitions: [Partition]
    public var mountpoints: [String]   // of the whole disk itself
    /// The whole disk is an active swap area.
    public var swap: Bool
    /// dm/md devices stacked on this disk or its partitions ("dm-0", "md127").
    public var holders: [String]
    /// For a loop device: the file behind it.
    public var backingFile: String?
    /// The backing file's device and inode (not in the JSON: the path says it to a reader).
    public var backingFileIdentity: FileIdentity?
    /// The kernel's number for this disk instance (sysfs `diskseq`; not in the JSON): another
    /// number at the same name is another medium, or another file behind a loop device.
    public var diskSequence: UInt64?
    public var isSystem: Bool
    /// Why it is a system disk ("holds /", "holds swap", "below dm-0, which holds /").
    public var systemReason: String?
    /// nil when `edgeflash list` offers it as a target; otherwise why not.
    public var notCandidateReason: String?

    public var isCandidate: Bool { notCandidateReason == nil }

    /// Every mountpoint on the disk, its own and its partitions'.
    public var allMountpoints: [String] { mountpoints + partitions.flatMap(\.mountpoints) }

    public struct Partition: Sendable, Codable, Equatable {
        public var path: String
        public var name: String
        public var number: Int
        public var devNumber: DeviceNumber?
        public var start: Int64        // bytes
        public var size: Int64         // bytes
        /// MBR type ("0xef") or GPT type GUID, when libblkid read the table.
        public var type: String?
        public var fsType: String?
        public var label: String?
        public var uuid: String?
        public var mountpoints: [String]
        public var swap: Bool
        /// false when the kernel made no node for it (e.g. loop devices here): the path is the
        /// name it would have, and the partition was found by reading the table.
        public var hasDeviceNode: Bool

        public init(path: String, name: String, number: Int, devNumber: DeviceNumber? = nil,
                    start: Int64, size: Int64, type: String? = nil, fsType: String? = nil,
                    label: String? = nil, uuid: String? = nil, mountpoints: [String] = [],
                    swap: Bool = false, hasDeviceNode: Bool) {
            self.path = path
            self.name = name
            self.number = number
            self.devNumber = devNumber
            self.start = start
            self.size = size
            self.type = type
            self.fsType = fsType
            self.label = label
            self.uuid = uuid
            self.mountpoints = mountpoints
            self.swap = swap
            self.hasDeviceNode = hasDeviceNode
        }

        enum CodingKeys: String, CodingKey {
            case path, name, number, devNumber = "dev", start, size, type, fsType, label, uuid
            case mountpoints, swap, hasDeviceNode
        }

        // Explicit nulls: the documented schema has every key, always.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(path, forKey: .path)
            try c.encode(name, forKey: .name)
            try c.encode(number, forKey: .number)
            try c.encode(devNumber, forKey: .devNumber)
            try c.encode(start, forKey: .start)
            try c.encode(size, forKey: .size)
            try c.encode(type, forKey: .type)
            try c.encode(fsType, forKey: .fsType)
            try c.encode(label, forKey: .label)
            try c.encode(uuid, forKey: .uuid)
            try c.encode(mountpoints, forKey: .mountpoints)
            try c.encode(swap, forKey: .swap)
            try c.encode(hasDeviceNode, forKey: .hasDeviceNode)
        }
    }

    public init(path: String, name: String, devNumber: DeviceNumber? = nil, size: Int64,
                logicalSectorSize: Int = 512, physicalSectorSize: Int = 512,
                vendor: String? = nil, model: String? = nil, serial: String? = nil,
                transport: String? = nil, removable: Bool = false, hotplug: Bool = false,
                readOnly: Bool = false, partitionTable: String? = nil, fsType: String? = nil,
                label: String? = nil, uuid: String? = nil, partitions: [Partition] = [],
                mountpoints: [String] = [], swap: Bool = false, holders: [String] = [],
                backingFile: String? = nil, backingFileIdentity: FileIdentity? = nil, diskSequence: UInt64? = nil,
                isSystem: Bool = false, systemReason: String? = nil, notCandidateReason: String? = nil) {
        self.path = path
        self.name = name
        self.devNumber = devNumber
        self.size = size
        self.logicalSectorSize = logicalSectorSize
        self.physicalSectorSize = physicalSectorSize
        self.vendor = vendor
        self.model = model
        self.serial = serial
        self.transport = transport
        self.removable = removable
        self.hotplug = hotplug
        self.readOnly = readOnly
        self.partitionTable = partitionTable
        self.fsType = fsType
        self.label = label
        self.uuid = uuid
        self.partitions = partitions
        self.mountpoints = mountpoints
        self.swap = swap
        self.holders = holders
        self.backingFile = backingFile
        self.backingFileIdentity = backingFileIdentity
        self.diskSequence = diskSequence
        self.isSystem = isSystem
        self.systemReason = systemReason
        self.notCandidateReason = notCandidateReason
    }

    enum CodingKeys: String, CodingKey {
        case path, name, devNumber = "dev", size, logicalSectorSize, physicalSectorSize
        case vendor, model, serial, transport, removable, hotplug, readOnly, partitionTable
        case fsType, label, uuid, partitions, mountpoints, swap, holders, backingFile
        case isSystem = "system", systemReason, notCandidateReason, candidate
    }

    // Written out because `candidate` is derived, not stored.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(path: try c.decode(String.self, forKey: .path),
                  name: try c.decode(String.self, forKey: .name),
                  devNumber: try c.decodeIfPresent(DeviceNumber.self, forKey: .devNumber),
                  size: try c.decode(Int64.self, forKey: .size),
                  logicalSectorSize: try c.decode(Int.self, forKey: .logicalSectorSize),
                  physicalSectorSize: try c.decode(Int.self, forKey: .physicalSectorSize),
                  vendor: try c.decodeIfPresent(String.self, forKey: .vendor),
                  model: try c.decodeIfPresent(String.self, forKey: .model),
                  serial: try c.decodeIfPresent(String.self, forKey: .serial),
                  transport: try c.decodeIfPresent(String.self, forKey: .transport),
                  removable: try c.decode(Bool.self, forKey: .removable),
                  hotplug: try c.decode(Bool.self, forKey: .hotplug),
                  readOnly: try c.decode(Bool.self, forKey: .readOnly),
                  partitionTable: try c.decodeIfPresent(String.self, forKey: .partitionTable),
                  fsType: try c.decodeIfPresent(String.self, forKey: .fsType),
                  label: try c.decodeIfPresent(String.self, forKey: .label),
                  uuid: try c.decodeIfPresent(String.self, forKey: .uuid),
                  partitions: try c.decode([Partition].self, forKey: .partitions),
                  mountpoints: try c.decode([String].self, forKey: .mountpoints),
                  swap: try c.decode(Bool.self, forKey: .swap),
                  holders: try c.decode([String].self, forKey: .holders),
                  backingFile: try c.decodeIfPresent(String.self, forKey: .backingFile),
                  isSystem: try c.decode(Bool.self, forKey: .isSystem),
                  systemReason: try c.decodeIfPresent(String.self, forKey: .systemReason),
                  notCandidateReason: try c.decodeIfPresent(String.self, forKey: .notCandidateReason))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(name, forKey: .name)
        try c.encode(devNumber, forKey: .devNumber)
        try c.encode(size, forKey: .size)
        try c.encode(logicalSectorSize, forKey: .logicalSectorSize)
        try c.encode(physicalSectorSize, forKey: .physicalSectorSize)
        try c.encode(vendor, forKey: .vendor)
        try c.encode(model, forKey: .model)
        try c.encode(serial, forKey: .serial)
        try c.encode(transport, forKey: .transport)
        try c.encode(removable, forKey: .removable)
        try c.encode(hotplug, forKey: .hotplug)
        try c.encode(readOnly, forKey: .readOnly)
        try c.encode(partitionTable, forKey: .partitionTable)
        try c.encode(fsType, forKey: .fsType)
        try c.encode(label, forKey: .label)
        try c.encode(uuid, forKey: .uuid)
        try c.encode(partitions, forKey: .partitions)
        try c.encode(mountpoints, forKey: .mountpoints)
        try c.encode(swap, forKey: .swap)
        try c.encode(holders, forKey: .holders)
        try c.encode(backingFile, forKey: .backingFile)
        try c.encode(isSystem, forKey: .isSystem)
        try c.encode(systemReason, forKey: .systemReason)
        try c.encode(isCandidate, forKey: .candidate)
        try c.encode(notCandidateReason, forKey: .notCandidateReason)
    }
}
