import EdgeCore
import FileIO
import ISOVerify
import SystemPackage

/// What a finished write did.
public struct WriteOutcome: Sendable, Equatable {
    public enum Checksum: Sendable, Equatable {
        /// The image hashed to the expected value while it was written.
        case matched(ExpectedChecksum)
        /// No checksum was known: the image itself is unverified.
        case unverified
    }

    public var bytesWritten: Int64
    public var checksum: Checksum
    /// The device was read back and matched the image.
    public var readBackVerified: Bool
    /// BLKRRPART failed: the kernel still shows the old partitions until the stick is replugged.
    public var partitionTableWarning: String?
    public var writeSeconds: Double
    /// The read-back after the write; for one overlapped with it, only what was left (the last
    /// batches, the sample sweep, the first MiB).
    public var verifySeconds: Double?
}

/// Writes an image source to a target (a stick opened with O_DIRECT|O_EXCL, in tests memory), in
/// this order:
/// 0. probe the target's capacity (`CapacityProbe`): a stick that wraps around or loses writes is
///    refused here, holding what it held;
/// 1. zero the target's first and last MiB (stale tables, old backup GPT);
/// 2. stream the image but its first MiB through a ring of aligned buffers: a reader thread reads
///    (or decodes), a thread after it hashes in order (SHA or implanted MD5, when one is expected;
///    a decoded image's SHA-256 for the log; a bmap's range checksums), and the I/O threads write
///    the segments before them, so decoding, hashing and writing overlap; each segment's XXH3
///    digest, for the read-back, is taken by the reader, or by the I/O threads after the write
///    when the reader decodes;
/// 3. fdatasync, then compare the hash: on a mismatch stop here, the stick is not bootable;
/// 4. read the body back (O_DIRECT) and compare digests: in a second pass after step 3, or, for a
///    zstd image (its length stated), during step 2 (`TrailingReadBack`, see below), with a
///    sample of every MiB read again here;
/// 5. read the first MiB back: still the zeros of step 1, or the stick lost them or wraps;
/// 6. write the held-back first MiB, fdatasync, read it back;
/// 7. ask the kernel to re-read the partition table.
/// SIGINT/SIGTERM (through `cancel`) stop at a segment boundary; the target is flushed and
/// reported incomplete. The writer neither opens nor closes the source and the target: its caller
/// owns them.
///
/// Which read-back, and why. A plain image (a file, a sparse file's extents, a bmap's ranges) is
/// read back in a second pass after one fdatasync: the overlap was built and measured for them
/// (issue 9; BENCHMARKS.md, 2026-11-30) and was slower here, because such a write is disk-bound
/// and this machine's disk gives a write and a read at once little more than one after the other
/// (dd's write and read started together take 0.74-0.89x of the two in turn), as a USB stick that
/// serves one command at a time would. A decoded image is decoder-bound (libzstd ~0.7 GB/s
/// against a write at ~1.8 GB/s here), so the target idles between writes: a decoded image whose length is
/// known (zstd states it) is read back in that idle time, a batch behind the writes. xz keeps the
/// second pass: its decoder threads take the memory the read-back's buffers would need under the
/// 64 MiB bound; so do writes side by side (each has less memory), and a stream of unknown length
/// (gzip, zstd from a pipe), whose plan is only cut to its length once it ended.
/// The second pass reads every segment after the last body write, so a stick whose addresses
/// alias in a way the probe's markers miss is still caught (a later write landing on an earlier
/// segment); the overlapped read-back keeps that check in a cheap form: after the last write and
/// its fdatasync, 4 KiB of every MiB, at an offset that changes from MiB to MiB, is read again and
/// compared with its digest from the write (`ReadBackVerifier.verifySamples`: 512 reads for 512 MiB).
/// Step 5 catches what lands on the first MiB, which is written after it.
public final class ImageWriter {
    let image: any ImageSource
    let device: any WriteTarget
    /// For a stream of unknown length, cut where it ended once it did (`WritePlan.ending(at:)`).
    private(set) var plan: WritePlan
    let expected: ExpectedChecksum?
    /// Only these ranges are written and read back (a bmap, a sparse file's extents).
    let map: ImageMap?
    let depth: Int
    /// Writes (and read-backs) in flight at once.
    let ioThreads: Int
    let cancel: CancellationFlag
    /// Run the capacity probe first (`--no-probe` turns it off).
    let probe: Bool
    /// Every I/O buffer of this write is counted here: its peak is the write's memory bound.
    let buffers = BufferAccount()
    private let progress: (WriteProgress) -> Void
    private var bytesWritten: Int64 = 0
    /// Set once the first byte is written to the target: from then on a failure blanks it.
    private var touched = false
    /// Set once the image hashed to its expected checksum, so a later failure can still say so.
    private var checksumMatched: ExpectedChecksum?

    /// Throws a refusal when the image does not fit on the target.
    public init(image: any ImageSource, device: any WriteTarget, expected: ExpectedChecksum?, map: ImageMap? = nil,
                chunkSize: Int = WritePlan.defaultChunkSize, depth: Int = 4, ioThreads: Int = 2, probe: Bool = true,
                cancel: CancellationFlag, progress: @escaping (WriteProgress) -> Void) throws {
        do {
            plan = image.sizeIsStated
                ? try WritePlan(imageSize: image.size, deviceSize: device.size, sectorSize: device.logicalSectorSize, chunkSize: chunkSize)
                : WritePlan(streamOnto: device.size, sectorSize: device.logicalSectorSize, chunkSize: chunkSize)
        } catch {
            throw EdgeError(.refused, "\(device.path) (\(ByteCount.human(device.size))) is smaller than \(image.path) (\(ByteCount.human(image.size)))",
                            hint: "Use a larger stick.")
        }
        self.image = image
        self.device = device
        self.expected = expected
        self.map = map
        self.depth = depth
        self.ioThreads = ioThreads
        self.cancel = cancel
        self.probe = probe
        self.progress = progress
    }

    /// Any failure once the target was touched (its first and last MiB cleared, the body, the
    /// held-back first MiB, the read-back) ends the same way: what was written is flushed, the first
    /// MiB is zeroed again and read back (`FirstMiB.blank`), and the error says which it holds
    /// (`WriteFailure`). A failure before that (a refusal) left the target as it was.
    public func run(verify: Bool) throws -> WriteOutcome {
        do {
            return try runSteps(verify: verify)
        } catch {
            let failure: any EdgeFlashError
            switch error {
            case is BufferPipeline.Cancelled:
                failure = WriteInterruptedError(devicePath: device.path, bytesWritten: bytesWritten, imageSize: image.size)
            case let known as any EdgeFlashError:
                failure = known
            default:
                failure = EdgeError(.failure, "writing \(device.path) failed: \(error)")
            }
            try? device.synchronize()  // keep what was written; the error names the failing offset
            guard touched else { throw failure }
            throw WriteFailure(failure, target: device.path, firstMiB: FirstMiB.blank(device), checksumMatched: checksumMatched)
        }
    }

    private func runSteps(verify: Bool) throws -> WriteOutcome {
        let clock = ContinuousClock()
        let writeStart = clock.now
        if probe {
            progress(WriteProgress(phase: .probe, bytes: 0, totalBytes: image.size))
            if let refusal = try CapacityProbe.run(device).refusal(target: device.path, claimedSize: device.size) {
                throw refusal
            }
        }
        try clearStaleSignatures()
        try zeroHoles()

        // A fan-out tap's image is hashed once, by the fan-out, for every target.
        let hashedAlready = image as? any HashedImageSource
        let source = SourceSegments(image: image, plan: plan, hash: hashedAlready == nil ? ChecksumMatch.imageHash(for: expected) : nil,
                                    map: map, rangeChecks: try map.flatMap(RangeChecks.init))
        let heldBack = AlignedBuffer(capacity: Int(WritePlan.heldBackSize), account: buffers)
        // A decoded image of known length is read back while it is written (see the type's
        // comment), when its ring of three says the write has the memory for it: not xz's ring of
        // two, nor the rings of writes side by side.
        let overlapped = verify && !plan.streamed && image is CompressedImage && depth >= 3
        let digests = SegmentDigests(plan: plan, map: map, sampled: overlapped)
        let checkedWhileWriting = ProgressCounter(phase: .verify, total: plan.imageSize, report: { _ in })
        let trailing = overlapped ? TrailingReadBack(verifier: readBackVerifier(digests, depth: 2, ioThreads: 2), body: plan.bodySegments) : nil
        defer { trailing?.stop() }
        trailing?.start(counter: checkedWhileWriting)
        try writeBody(from: source, digesting: digests, holdingBack: heldBack, readingBackWith: trailing)
        if plan.streamed { try endStream(source) } else if image is CompressedImage { try endStatedStream(source) }
        progress(WriteProgress(phase: .sync, bytes: bytesWritten, totalBytes: image.size))
        try device.synchronize()

        var checksum = WriteOutcome.Checksum.unverified
        if let expected {
            let matched = try ChecksumMatch.check(expected, imageDigest: hashedAlready?.expectedHash() ?? source.finalizeHash(),
                                                  storedDigest: image.storedFileDigest(), imagePath: image.path,
                                                  compressed: image is CompressedImage)
            checksum = .matched(matched)
            checksumMatched = matched
        }
        let writeSeconds = (clock.now - writeStart).seconds

        let verifier = readBackVerifier(digests, depth: depth, ioThreads: ioThreads)
        let verifyStart = clock.now
        if let trailing {
            try trailing.finish()
            try verifier.verifySamples(plan.bodySegments)
        }
        let checked = ProgressCounter(phase: .verify, startingAt: checkedWhileWriting.value, total: plan.imageSize, report: progress)
        if verify && trailing == nil {
            try verifier.verify(plan.bodySegments, counter: checked)
        }
        var verifySeconds = (clock.now - verifyStart).seconds

        // The stick becomes bootable only now, after the checksum and the body's read-back passed.
        if cancel.isCancelled { throw BufferPipeline.Cancelled() }
        let bootStart = clock.now
        if verify { try checkNothingLandedInTheFirstMiB() }
        try writeHeldBack(heldBack)
        if !verify { progress(WriteProgress(phase: .write, bytes: bytesWritten, totalBytes: image.size)) }
        if verify {
            try verifier.verify(0..<1, counter: checked)
            verifySeconds += (clock.now - bootStart).seconds
        }

        var warning: String?
        do {
            try device.rereadPartitionTable()
        } catch Errno.invalidArgument {
            // The disk cannot hold partitions (a loop device without partscan): nothing to re-read.
        } catch {
            warning = "could not re-read the partition table of \(device.path) (\(error)): unplug and replug the stick to see its partitions"
        }
        return WriteOutcome(bytesWritten: bytesWritten, checksum: checksum, readBackVerified: verify,
                            partitionTableWarning: warning, writeSeconds: writeSeconds,
                            verifySeconds: verify ? verifySeconds : nil)
    }

    private func readBackVerifier(_ digests: SegmentDigests, depth: Int, ioThreads: Int) -> ReadBackVerifier {
        ReadBackVerifier(device: device, image: image, plan: plan, map: map, digests: digests,
                         depth: depth, ioThreads: ioThreads, cancel: cancel, buffers: buffers)
    }

    private func clearStaleSignatures() throws {
        touched = true
        let zeros = AlignedBuffer(capacity: Int(WritePlan.heldBackSize), account: buffers)
        zeros.zeroAll()
        for range in plan.clearRanges {
            progress(WriteProgress(phase: .clear, bytes: 0, totalBytes: image.size))
            var offset = range.lowerBound
            while offset < range.upperBound {
                let length = Int(min(Int64(zeros.capacity), range.upperBound - offset))
                try device.write(zeros.bytes(upTo: length), at: offset)
                offset += Int64(length)
            }
        }
    }

    /// A sparse image's holes past the first MiB, zeroed before the data is written: one request
    /// per hole (BLKZEROOUT: no data crosses the bus where the device can zero by itself). A hole
    /// that ends with the image is padded to the sector, as the image's last write is.
    private func zeroHoles() throws {
        guard let map, map.zeroHoles else { return }
        for hole in map.holes(in: WritePlan.heldBackSize..<max(WritePlan.heldBackSize, plan.imageSize)) {
            try device.zero(hole.lowerBound..<plan.paddedLength(hole.upperBound))
        }
    }

    /// Streams the image to the target, segment 0 into `heldBack`; each segment written is
    /// reported to `trailing`, which stops the write once it found a segment wrong.
    private func writeBody(from source: SourceSegments, digesting digests: SegmentDigests, holdingBack heldBack: AlignedBuffer,
                           readingBackWith trailing: TrailingReadBack?) throws {
        let device = self.device, plan = self.plan, map = self.map
        let written = ProgressCounter(phase: .write, total: map?.mappedBytes ?? image.size, report: progress)
        defer { bytesWritten = written.value }
        let check: @Sendable (Int, AlignedBuffer) throws -> Void = { index, buffer in try source.check(index, buffer) }
        // The reader digests what it read, unless it decodes: a decoder is the write's slowest
        // stage, so then the I/O threads digest each segment once its write returned.
        let readerDigests = !(image is CompressedImage)
        try BufferPipeline.run(segments: plan.segmentCount, bufferSize: plan.chunkSize, depth: depth,
                               consumers: ioThreads, cancel: cancel, account: buffers,
            produce: { index, buffer in
                try source.read(index, into: buffer)
                if readerDigests { digests.record(index, buffer) }
            },
            inOrder: source.checksInOrder ? check : nil,
            consume: { index, buffer in
                try trailing?.throwIfFailed()
                if index == 0 {
                    heldBack.pointer.copyMemory(from: buffer.pointer, byteCount: buffer.count)
                    heldBack.count = buffer.count
                    written.add(0)
                } else {
                    try Self.send(buffer, segment: index, of: plan, map: map, to: device, counting: written)
                }
                // Once the write returned: the write is not held up, only the buffer's return.
                if !readerDigests { digests.record(index, buffer) }
                trailing?.markWritten(index)
            })
    }

    /// Writes one body segment (its mapped parts only, with a map), padded to whole sectors.
    private static func send(_ buffer: AlignedBuffer, segment index: Int, of plan: WritePlan, map: ImageMap?,
                             to device: any WriteTarget, counting written: ProgressCounter) throws {
        let length = buffer.count
        if length == 0 { return }  // past the end of a stream
        let padded = Int(plan.paddedLength(Int64(length)))
        buffer.zeroPad(to: padded)
        let start = plan.segment(index).lowerBound
        guard let map else {
            try device.write(buffer.bytes(upTo: padded), at: start)
            return written.add(Int64(length))
        }
        for part in map.mapped(in: start..<(start + Int64(padded))) {
            let from = Int(part.lowerBound - start)
            try device.write(UnsafeRawBufferPointer(rebasing: buffer.bytes(upTo: padded)[from..<(from + Int(plan.paddedLength(Int64(part.count))))]),
                             at: part.lowerBound)
            written.add(Int64(part.count))
        }
    }

    /// A stream of unknown length ended (or filled the disk): the plan becomes the one of what was
    /// written. One that goes on past the disk's end does not fit: refused, the stick blanked.
    private func endStream(_ source: SourceSegments) throws {
        let written = source.bytesRead
        if written == plan.imageSize, try source.continuesPastPlan() {
            throw EdgeError(.refused, "the image is larger than the stick: \(written) bytes written to \(device.path) (\(ByteCount.human(device.size))) and \(image.path) goes on",
                            hint: "Use a larger stick.")
        }
        guard written > 0 else { throw EdgeError(.malformed, "\(image.path) decompresses to nothing: no image to write") }
        try map?.refuseUnlessMade(forImageOf: written, imagePath: image.path)
        plan = plan.ending(at: written)
    }

    /// A compressed image that states its size stops being read at that size; reading on lets the
    /// decoder reach the stream's end and check what is there (the last block's CRC, the index,
    /// zstd's content checksum). More data than the stream stated is an error too.
    private func endStatedStream(_ source: SourceSegments) throws {
        if try source.continuesPastPlan() {
            throw EdgeError(.malformed, "\(image.path) decompresses to more than the \(plan.imageSize) bytes its headers state",
                            hint: "The file is damaged or was altered: download it again.")
        }
    }

    /// The first MiB was zeroed before the body and nothing of the body is written there, so it
    /// must still read back as zeros. Data there means the zeros were lost, or a body write landed
    /// on it: the stick wraps around (a wrap at any real size, power of two or not, sends the byte
    /// written at that size to byte 0). The body's read-back cannot see a wrap that lands only
    /// here, and the first MiB written next would overwrite the body bytes that did.
    private func checkNothingLandedInTheFirstMiB() throws {
        guard let offset = try FirstMiB.firstDataByte(in: device) else { return }
        throw EdgeError(.mismatch, "verification failed: the first MiB of \(device.path), zeroed before the image was written, reads back with data at byte offset \(offset): the stick lost those zeros or wraps around (a write further on landed there)",
                        hint: "The stick is counterfeit (smaller than it claims) or failing: use another stick.")
    }

    private func writeHeldBack(_ heldBack: AlignedBuffer) throws {
        let padded = Int(plan.paddedLength(Int64(heldBack.count)))
        heldBack.zeroPad(to: padded)
        try device.write(heldBack.bytes(upTo: padded), at: 0)
        bytesWritten += Int64(heldBack.count)
        try device.synchronize()
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
