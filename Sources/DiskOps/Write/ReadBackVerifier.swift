import SystemPackage

/// Reads segments of the device back through O_DIRECT (after dropping its cached pages) and compares
/// each with the XXH3 digest taken from the image while writing. On a mismatch, the segment is
/// compared byte by byte with the image to name the first byte that differs.
struct ReadBackVerifier {
    let device: BlockDevice
    let image: ImageFile
    let plan: WritePlan
    let digests: [ChunkDigest?]
    let depth: Int
    let cancel: CancellationFlag

    /// Verifies `segments`, reporting the bytes checked so far (plus `alreadyDone`).
    func verify(_ segments: Range<Int>, alreadyDone: Int64, progress: (Int64) -> Void) throws {
        device.dropCaches()
        let device = self.device, plan = self.plan
        var done = alreadyDone
        try BufferPipeline.run(segments: segments.count, bufferSize: plan.chunkSize, depth: depth, cancel: cancel,
            produce: { position, buffer in
                let range = plan.segment(segments.lowerBound + position)
                let padded = Int(plan.paddedLength(Int64(range.count)))
                let got = try device.read(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: padded), at: range.lowerBound)
                guard got >= range.count else {
                    throw DeviceIOError(path: device.path, operation: .read, offset: range.lowerBound + Int64(got), errno: .ioError)
                }
                buffer.count = Int(range.count)
            },
            consume: { position, buffer in
                let index = segments.lowerBound + position
                if ChunkDigest(of: buffer.bytes) != digests[index] {
                    throw ReadBackMismatchError(devicePath: device.path, imagePath: image.path,
                                                offset: try firstDifference(in: index, deviceBytes: buffer))
                }
                done += Int64(buffer.count)
                progress(done)
            })
    }

    /// Byte offset of the first difference between the device bytes of segment `index` and the image.
    private func firstDifference(in index: Int, deviceBytes: AlignedBuffer) throws -> Int64 {
        let range = plan.segment(index)
        let imageBytes = AlignedBuffer(capacity: plan.chunkSize)
        let got = try image.read(into: UnsafeMutableRawBufferPointer(start: imageBytes.pointer, count: Int(range.count)), at: range.lowerBound)
        imageBytes.count = got
        let position = zip(imageBytes.bytes, deviceBytes.bytes).enumerated()
            .first { $0.element.0 != $0.element.1 }?.offset ?? min(got, deviceBytes.count)
        return range.lowerBound + Int64(position)
    }
}
