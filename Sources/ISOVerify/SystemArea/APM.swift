import EdgeCore

/// An Apple partition map (what lets Macs boot a GRUB hybrid): a driver descriptor "ER" at byte 0
/// giving the block size, then "PM" entries in blocks 1, 2, ...
public struct APM: Sendable, Codable, Equatable {
    public struct Partition: Sendable, Codable, Equatable {
        public var number: Int
        public var name: String
        public var type: String
        public var startBlock: UInt32
        public var blockCount: UInt32
    }

    public var blockSize: UInt16
    public var partitions: [Partition]

    /// Parses from the system area (the first 32 KiB); entries must fit in it. nil without "ER".
    public static func parse(systemArea: [UInt8]) throws -> APM? {
        let r = ByteReader(systemArea, structure: "Apple partition map")
        guard r.count >= 4, try r.slice(0, 2) == Array("ER".utf8) else { return nil }
        let blockSize = try r.u16be(2)
        guard [512, 1024, 2048, 4096].contains(blockSize) else {
            throw EdgeError(.malformed, "Apple partition map declares a block size of \(blockSize) bytes")
        }
        let bs = Int(blockSize)
        guard bs * 2 <= r.count, try r.slice(bs, 2) == Array("PM".utf8) else {
            return APM(blockSize: blockSize, partitions: [])
        }
        let declared = Int(try r.u32be(bs + 4))
        let fits = r.count / bs - 1
        guard declared >= 1, declared <= fits else {
            throw EdgeError(.malformed, "Apple partition map declares \(declared) entries; \(fits) fit in the 32 KiB system area")
        }
        var partitions: [Partition] = []
        for i in 1...declared {
            let o = i * bs
            guard try r.slice(o, 2) == Array("PM".utf8) else {
                throw EdgeError(.malformed, "Apple partition map entry \(i) of \(declared) lacks its PM signature")
            }
            partitions.append(Partition(number: i, name: try r.ascii(o + 16, 32), type: try r.ascii(o + 48, 32),
                                        startBlock: try r.u32be(o + 8), blockCount: try r.u32be(o + 12)))
        }
        return APM(blockSize: blockSize, partitions: partitions)
    }
}
