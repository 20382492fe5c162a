import EdgeCore
import ISOVerify
#if canImport(Glibc)
import Glibc
#endif

/// `verify --against`: the device's first image-size bytes compared with the image, the device read
/// through O_DIRECT so a stick is checked, not the page cache. The image's hash is taken in the same
/// pass when a checksum is expected.
public enum DeviceComparison {
    public struct Result: Sendable, Equatable {
        /// The first byte where the device differs from the image; nil when they are equal.
        public var firstDifference: Int64?
        /// The image's hash, when an algorithm was asked for.
        public var imageHash: String?
    }

    public static func compare(image: ImageFile, device: BlockDevice, algorithm: HashAlgorithm?,
                               depth: Int = 4, cancel: CancellationFlag,
                               progress: (WriteProgress) -> Void) throws -> Result {
        let plan: WritePlan
        do {
            plan = try WritePlan(imageSize: image.size, deviceSize: device.size, sectorSize: device.logicalSectorSize)
        } catch {
            throw SimpleError("\(device.path) (\(ByteCount.human(device.size))) is smaller than \(image.path) (\(ByteCount.human(image.size))): it cannot hold this image",
                              exitStatus: .mismatch)
        }
        device.dropCaches()
        var hasher = algorithm.map(ImageHasher.init)
        var firstDifference: Int64?
        var done: Int64 = 0
        let imageBytes = AlignedBuffer(capacity: plan.chunkSize)
        try BufferPipeline.run(segments: plan.segmentCount, bufferSize: plan.chunkSize, depth: depth, cancel: cancel,
            produce: { index, buffer in
                let range = plan.segment(index)
                let padded = Int(plan.paddedLength(Int64(range.count)))
                let got = try device.read(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: padded), at: range.lowerBound)
                buffer.count = min(got, Int(range.count))
            },
            consume: { index, deviceBytes in
                let range = plan.segment(index)
                let got = try image.read(into: UnsafeMutableRawBufferPointer(start: imageBytes.pointer, count: Int(range.count)), at: range.lowerBound)
                guard got == range.count else { throw ImageChangedError(imagePath: image.path, offset: range.lowerBound + Int64(got)) }
                imageBytes.count = got
                hasher?.update(imageBytes.bytes)
                if firstDifference == nil, let at = firstDifferingByte(imageBytes.bytes, deviceBytes.bytes) {
                    firstDifference = range.lowerBound + Int64(at)
                }
                done += Int64(got)
                progress(WriteProgress(phase: .verify, bytes: done, totalBytes: image.size))
            })
        return Result(firstDifference: firstDifference, imageHash: hasher?.finalizeHex())
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
