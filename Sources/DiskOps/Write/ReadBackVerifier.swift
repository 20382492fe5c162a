import FileIO

/// Reads segments of the target back (O_DIRECT on a device, after dropping its cached pages) and
/// compares each with the XXH3 digest taken from the image while writing. On a mismatch, a seekable
/// source is read again to name the first byte that differs; otherwise the segment's first byte is
/// named.
struct ReadBackVerifier: Sendable {
    let device: any WriteTarget
    let image: any ImageSource
    let plan: WritePlan
    /// Only its ranges are read back.
    var map: ImageMap? = nil
    let digests: SegmentDigests
    let depth: Int
    let ioThreads: Int
    let cancel: CancellationFlag
    var buffers: BufferAccount? = nil

    /// Verifies `segments`, adding the bytes checked to `counter`. The target reads happen on the
    /// I/O threads (several in flight); the producer only hands out buffers.
    func verify(_ segments: Range<Int>, counter: ProgressCounter) throws {
        device.dropCaches()
        let device = self.device, plan = self.plan, map = self.map, digests = self.digests, verifier = self
        try BufferPipeline.run(segments: segments.count, bufferSize: plan.chunkSize, depth: depth,
                               consumers: ioThreads, cancel: cancel, account: buffers,
            produce: { _, _ in },
            consume: { position, buffer in
                let index = segments.lowerBound + position
                let range = plan.segment(index)
                for part in map?.mapped(in: range) ?? [range] {
                    let from = Int(part.lowerBound - range.lowerBound)
                    let length = Int(plan.paddedLength(Int64(part.count)))
                    let got = try device.read(into: UnsafeMutableRawBufferPointer(start: buffer.pointer + from, count: length), at: part.lowerBound)
                    guard got >= part.count else {
                        throw DeviceIOError(path: device.path, operation: .read, offset: part.lowerBound + Int64(got), errno: .ioError)
                    }
                }
                buffer.count = Int(range.count)
                if !digests.matches(index, buffer) {
                    throw ReadBackMismatchError(devicePath: device.path, imagePath: verifier.image.path,
                                                offset: try verifier.firstDifference(in: range, deviceBytes: buffer))
                }
                counter.add(Int64(buffer.count))
            })
    }

    /// Reads again, after the last body write and the fdatasync after it, the sample windows of
    /// `segments` (4 KiB of every MiB, `SegmentDigests.samples`) and compares them with their
    /// digests: a read-back that ran while later segments were still being written
    /// (`TrailingReadBack`) cannot see a later write landing on a segment it had already checked
    /// (a stick whose addresses alias); this sweep does, at a fraction of a second pass's reads.
    /// A sample is one small read, bound by the device's latency, not its bandwidth: several are
    /// kept in flight (their buffers are a few KiB each).
    static let samplesInFlight = 8

    func verifySamples(_ segments: Range<Int>) throws {
        device.dropCaches()
        let device = self.device, plan = self.plan, digests = self.digests, verifier = self
        let size = max(Int(SegmentDigests.sampleSize), plan.sectorSize)
        try BufferPipeline.run(segments: segments.count, bufferSize: size, depth: Self.samplesInFlight,
                               consumers: Self.samplesInFlight, cancel: cancel, account: buffers,
            produce: { _, _ in },
            consume: { position, buffer in
                let index = segments.lowerBound + position
                for (number, window) in digests.samples(of: index).enumerated() {
                    let length = Int(plan.paddedLength(Int64(window.count)))
                    let got = try device.read(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: length), at: window.lowerBound)
                    guard got >= window.count else {
                        throw DeviceIOError(path: device.path, operation: .read, offset: window.lowerBound + Int64(got), errno: .ioError)
                    }
                    if !digests.sampleMatches(index, number, window, buffer) {
                        throw ReadBackMismatchError(devicePath: device.path, imagePath: verifier.image.path,
                                                    offset: try verifier.firstDifference(in: window, deviceBytes: buffer))
                    }
                }
            })
    }

    /// Byte offset of the first difference between the target's bytes of `range` (those of
    /// `deviceBytes`, from its start) and the image, in the mapped parts only: exact when the
    /// source can be read again, `range`'s start when it cannot.
    private func firstDifference(in range: Range<Int64>, deviceBytes: AlignedBuffer) throws -> Int64 {
        guard let seekable = image as? any SeekableImageSource else { return range.lowerBound }
        let imageBytes = AlignedBuffer(capacity: (Int(range.count) + AlignedBuffer.alignment - 1) / AlignedBuffer.alignment * AlignedBuffer.alignment, account: buffers)
        let got = try seekable.read(into: UnsafeMutableRawBufferPointer(start: imageBytes.pointer, count: Int(range.count)), at: range.lowerBound)
        for part in map?.mapped(in: range) ?? [range] {
            let from = Int(part.lowerBound - range.lowerBound)
            let image = UnsafeRawBufferPointer(start: imageBytes.pointer + from, count: max(0, min(Int(part.count), got - from)))
            let device = UnsafeRawBufferPointer(start: deviceBytes.pointer + from, count: Int(part.count))
            if let at = firstDifferingByte(image, device) { return part.lowerBound + Int64(at) }
            if image.count < device.count { return part.lowerBound + Int64(image.count) }  // the image was cut short
        }
        return range.lowerBound  // the bytes match now: the image changed since it was written
    }
}
