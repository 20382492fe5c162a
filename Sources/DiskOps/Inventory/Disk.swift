// CONTRACT STUB (lead): the inventory helper replaces this with the real model; keep these names.

/// A whole-disk block device as sysfs, libblkid and mountinfo describe it.
public struct Disk: Sendable, Codable, Equatable {
    public var path: String            // /dev/sdb
    public var name: String            // sdb
    public var size: Int64             // bytes
    public var logicalSectorSize: Int
    public var physicalSectorSize: Int
    public var vendor: String?
    public var model: String?
    public var serial: String?
    public var transport: String?      // usb, sata, nvme, mmc, virtio, loop...
    public var removable: Bool
    public var readOnly: Bool
    public var partitionTable: String? // dos, gpt...
    public var partitions: [Partition]
    public var mountpoints: [String]   // of the whole disk itself
    public var isSystem: Bool

    public struct Partition: Sendable, Codable, Equatable {
        public var path: String
        public var number: Int
        public var start: Int64        // bytes
        public var size: Int64         // bytes
        public var fsType: String?
        public var label: String?
        public var mountpoints: [String]
    }
}
