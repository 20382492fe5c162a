/// Request numbers from <linux/fs.h>. Swift cannot import the _IO/_IOR macros, so they are spelled
/// out here once: _IO(0x12, n) = 0x1200 | n; _IOR(0x12, n, size_t) adds the direction and size bits.
enum BlockIoctl {
    static let getSize64: UInt = 0x8008_1272       // BLKGETSIZE64  _IOR(0x12, 114, size_t)
    static let getLogicalSectorSize: UInt = 0x1268 // BLKSSZGET     _IO(0x12, 104)
    static let rereadPartitions: UInt = 0x125F     // BLKRRPART     _IO(0x12, 95)
    static let flushBuffers: UInt = 0x1261         // BLKFLSBUF     _IO(0x12, 97)
    static let zeroOut: UInt = 0x127F              // BLKZEROOUT    _IO(0x12, 127)
    static let getDiskSequence: UInt = 0x8008_1280 // BLKGETDISKSEQ _IOR(0x12, 128, __u64)
}
