import EdgeCore
import FileIO
import ISOVerify
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `verify --against`: the device's first image-size bytes compared with the image, the device read
/// through O_DIRECT so a stick is checked, not the page cache. The image's hash is taken in the same
/// pass when a checksum is expected. Where a user-data injection rewrote the tables, `expected`
/// gives the bytes the device must hold instead of the image's (the hash still covers the image).
/// With a bmap's `map`, only its ranges are compared: its unmapped blocks keep what the device held.
/// An image that does not state its length (a gzip stream) is compared as it is decoded, up to
/// where it ends, so it is decoded once: a stick it does not fit on is known at the stick's end.
public enum DeviceComparison {
    public struct Result: Sendable, Equatable {
        /// The image's length: as stated, or where the stream ended.
        public var imageSize: Int64
        /// The first byte where the device differs from the image; nil when they are equal.
        public var firstDifference: Int64?
        /// The image's hash, when a hash was given.
        public var imageHash: String?
    }

    public static func compare(image: any ImageSource, device: any WriteTarget, hash: StreamingHash?,
                               expected: [DiskWrite] = [], map: ImageMap? = nil, depth: Int = 4, cancel: CancellationFlag,
                               progress: @escaping (WriteProgress) -> Void) throws -> Result {
        let tooSmall = { (imageSize: Int64) in
            EdgeError(.mismatch, "\(device.path) (\(ByteCount.human(device.size))) is smaller than \(image.path) (\(ByteCount.human(imageSize))): it cannot hold this image")
        }
        let plan: WritePlan
        do {
            plan = image.sizeIsStated
                ? try WritePlan(imageSize: image.size, deviceSize: device.size, sectorSize: device.logicalSectorSize)
                : WritePlan(streamOnto: device.size, sectorSize: device.logicalSectorSize)
        } catch {
            throw tooSmall(image.size)
        }
        device.dropCaches()
        let state = ComparisonState(image: image, plan: plan, hash: hash, expected: expected, map: map)
        let compared = ProgressCounter(phase: .verify, total: image.size, report: progress)
        // One consumer: the image's hash needs its bytes in order.
        try BufferPipeline.run(segments: plan.segmentCount, bufferSize: plan.chunkSize, depth: depth, cancel: cancel,
            produce: { index, buffer in
                guard !state.ended else { buffer.count = 0; return }  // the stream ended before this segment
                let range = plan.segment(index)
                let padded = Int(plan.paddedLength(Int64(range.count)))
                let got = try device.read(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: padded), at: range.lowerBound)
                buffer.count = min(got, Int(range.count))
            },
            consume: { index, deviceBytes in
                compared.add(try state.compare(index, deviceBytes: deviceBytes))
            })
        if plan.streamed, state.imageBytesRead == plan.imageSize, let rest = try state.restOfStream() {
            throw tooSmall(plan.imageSize + rest)
        }
        return Result(imageSize: state.imageBytesRead, firstDifference: state.firstDifference, imageHash: state.finalizeHash())
    }
}

/// The consumer side of a comparison: reads the image's next segment, feeds the hash, remembers the
/// first difference. Used by one thread, in segment order.
private final class ComparisonState: @unchecked Sendable {
    let image: any ImageSource
    let plan: WritePlan
    private var hasher: StreamingHash?
    private let expected: [DiskWrite]
    private let map: ImageMap?
    private let imageBytes: AlignedBuffer
    private(set) var firstDifference: Int64?
    /// Image bytes read so far: where a stream that does not state its length ended, once it did.
    private(set) var imageBytesRead: Int64 = 0
    private let streamEnded = Atomic<Bool>(false)
    /// Set on the consumer's thread once the image ended; the reader of the device then stops reading.
    var ended: Bool { streamEnded.load(ordering: .acquiring) }

    init(image: any ImageSource, plan: WritePlan, hash: StreamingHash?, expected: [DiskWrite], map: ImageMap?) {
        self.image = image
        self.plan = plan
        self.expected = expected
        self.map = map
        hasher = hash
        imageBytes = AlignedBuffer(capacity: plan.chunkSize)
    }

    /// Compares segment `index` of the image with `deviceBytes`; returns the bytes compared. A
    /// stream's segment is compared as far as it goes: the one where it ends is short, those after
    /// it empty.
    func compare(_ index: Int, deviceBytes: AlignedBuffer) throws -> Int64 {
        let segment = plan.segment(index)
        let got = try image.readNext(into: UnsafeMutableRawBufferPointer(start: imageBytes.pointer, count: Int(segment.count)))
        guard got == segment.count || plan.streamed else { throw ImageChangedError(imagePath: image.path, offset: segment.lowerBound + Int64(got)) }
        if got < segment.count { streamEnded.store(true, ordering: .releasing) }
        imageBytesRead += Int64(got)
        let range = segment.lowerBound..<(segment.lowerBound + Int64(got))
        imageBytes.count = got
        hasher?.update(imageBytes.bytes)
        for write in expected.compactMap({ $0.clipped(to: range) }) {
            write.bytes.withUnsafeBytes { (imageBytes.pointer + Int(write.offset - range.lowerBound)).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        for part in map?.mapped(in: range) ?? [range] where firstDifference == nil {
            let at = Int(part.lowerBound - range.lowerBound), count = Int(part.count)
            if let differing = firstDifferingByte(UnsafeRawBufferPointer(rebasing: imageBytes.bytes[at..<(at + count)]),
                                                  UnsafeRawBufferPointer(rebasing: deviceBytes.bytes[min(at, deviceBytes.count)..<min(at + count, deviceBytes.count)])) {
                firstDifference = part.lowerBound + Int64(differing)
            }
        }
        return Int64(got)
    }

    func finalizeHash() -> String? { hasher?.finalizeHex() }

    /// For a stream that filled the device: the length of what follows, read to its end (it is
    /// decoded there anyway, to be checked whole); nil when nothing does.
    func restOfStream() throws -> Int64? {
        var rest: Int64 = 0
        while true {
            let got = try image.readNext(into: UnsafeMutableRawBufferPointer(start: imageBytes.pointer, count: imageBytes.capacity))
            rest += Int64(got)
            if got < imageBytes.capacity { return rest > 0 ? rest : nil }
        }
    }
}

/// Index of the first byte where `a` and `b` differ, comparing `a.count` bytes (a shorter `b`
/// differs where it ends); nil when equal. memcmp first, the byte scan only on the rare mismatch.
func firstDifferingByte(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int? {
    let common = min(a.count, b.count)
    if common > 0, memcmp(a.baseAddress!, b.baseAddress!, common) == 0 {
        return a.count > b.count ? common : nil
    }
    for i in 0..<common where a[i] != b[i] { return i }
    return a.count > b.count ? common : nil
}
