/// What libblkid found in a device or in a byte range of one.
public struct BlkidReport: Sendable, Equatable, Codable {
    /// PTTYPE: "dos", "gpt", "atari"...; nil when no partition table was found.
    public var partitionTable: String?
    /// The partition table's entries (libblkid's partlist), in table order.
    public var partitions: [BlkidPartitionEntry]
    /// TYPE, LABEL, UUID of the filesystem (or other superblock) found at the start of the range.
    public var type: String?
    public var label: String?
    public var uuid: String?

    public init(partitionTable: String? = nil, partitions: [BlkidPartitionEntry] = [],
                type: String? = nil, label: String? = nil, uuid: String? = nil) {
        self.partitionTable = partitionTable
        self.partitions = partitions
        self.type = type
        self.label = label
        self.uuid = uuid
    }
}

/// One partition table entry. Start and size are in bytes, from the start of the probed range.
public struct BlkidPartitionEntry: Sendable, Equatable, Codable {
    public var number: Int
    public var start: Int64
    public var size: Int64
    /// MBR type as hex ("0xef") or the GPT type GUID.
    public var type: String?
    /// GPT partition name, when the table has names.
    public var name: String?

    public init(number: Int, start: Int64, size: Int64, type: String? = nil, name: String? = nil) {
        self.number = number
        self.start = start
        self.size = size
        self.type = type
        self.name = name
    }
}
