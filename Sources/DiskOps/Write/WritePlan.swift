/// Where each byte of a write goes, computed from sizes alone (no I/O, unit-tested).
///
/// The image is cut into segments: segment 0 is the first MiB, held back and written last so an
/// interrupted or rejected write never leaves a stick that looks bootable; the others are at most
/// `chunkSize` bytes and start on chunk boundaries. Before writing, the first MiB and the last MiB
/// of the disk are zeroed: stale partition tables and the old backup GPT at the end of the disk must
/// not survive next to the new image.
///
/// A stream that does not state its length (a gzip image) is planned as if it filled the disk
/// (`streamed`): its segments end where it ends, and once it did, `ending(at:)` gives the plan of
/// what was written, for the read-back.
public struct WritePlan: Sendable, Equatable {
    public static let heldBackSize: Int64 = 1 << 20
    public static let defaultChunkSize = 4 << 20

    public let imageSize: Int64
    public let deviceSize: Int64
    public let sectorSize: Int
    public let chunkSize: Int
    /// The image's length is not known: `imageSize` is the disk's, an upper bound.
    public let streamed: Bool

    public struct TooSmall: Error, Equatable {
        public let imageSize: Int64
        public let deviceSize: Int64
    }

    public init(imageSize: Int64, deviceSize: Int64, sectorSize: Int, chunkSize: Int = defaultChunkSize) throws(TooSmall) {
        precondition(sectorSize > 0 && AlignedBuffer.alignment % sectorSize == 0, "sector size must divide 4 KiB")
        precondition(chunkSize > Int(Self.heldBackSize) && chunkSize % AlignedBuffer.alignment == 0,
                     "a chunk must be larger than the held-back MiB and 4 KiB aligned")
        self.imageSize = imageSize
        self.deviceSize = deviceSize
        self.sectorSize = sectorSize
        self.chunkSize = chunkSize
        streamed = false
        guard paddedLength(imageSize) <= deviceSize else { throw TooSmall(imageSize: imageSize, deviceSize: deviceSize) }
    }

    /// A stream of unknown length, written up to the disk's end at most.
    public init(streamOnto deviceSize: Int64, sectorSize: Int, chunkSize: Int = defaultChunkSize) {
        // The disk's whole sectors always fit on the disk.
        let whole = try! WritePlan(imageSize: deviceSize / Int64(sectorSize) * Int64(sectorSize), deviceSize: deviceSize,
                                   sectorSize: sectorSize, chunkSize: chunkSize)
        self.init(copying: whole, imageSize: whole.imageSize, streamed: true)
    }

    /// The plan of a stream that ended after `size` bytes: the same segments, cut where it ended.
    public func ending(at size: Int64) -> WritePlan {
        WritePlan(copying: self, imageSize: min(size, imageSize), streamed: false)
    }

    private init(copying plan: WritePlan, imageSize: Int64, streamed: Bool) {
        self.imageSize = imageSize
        deviceSize = plan.deviceSize
        sectorSize = plan.sectorSize
        chunkSize = plan.chunkSize
        self.streamed = streamed
    }

    /// O_DIRECT writes whole sectors: a length rounded up to the sector size.
    public func paddedLength(_ length: Int64) -> Int64 {
        let sector = Int64(sectorSize)
        return (length + sector - 1) / sector * sector
    }

    /// The first MiB of the image (less for a smaller image): written last.
    public var heldBack: Range<Int64> { 0..<min(Self.heldBackSize, imageSize) }

    /// Device ranges zeroed before the image is written.
    public var clearRanges: [Range<Int64>] {
        var ranges: [Range<Int64>] = [0..<min(Self.heldBackSize, deviceSize)]
        // A stream may end anywhere: the last MiB is cleared first, whatever it later holds.
        let tailStart = max(deviceSize - Self.heldBackSize, streamed ? 0 : paddedLength(imageSize), ranges[0].upperBound)
        if tailStart < deviceSize { ranges.append(tailStart..<deviceSize) }
        return ranges
    }

    /// Segment 0 is `heldBack`; segments 1... cover the rest of the image in order.
    public var segmentCount: Int {
        guard imageSize > heldBack.upperBound else { return 1 }
        return 1 + Int((imageSize + Int64(chunkSize) - 1) / Int64(chunkSize))
    }

    public func segment(_ index: Int) -> Range<Int64> {
        if index == 0 { return heldBack }
        let chunk = Int64(chunkSize)
        // Segment 1 ends at the first chunk boundary after the held-back MiB.
        let start = index == 1 ? heldBack.upperBound : Int64(index - 1) * chunk
        let end = min(imageSize, Int64(index) * chunk)
        return start..<end
    }

    /// Every segment but the held-back one, in image order.
    public var bodySegments: Range<Int> { 1..<segmentCount }
}
