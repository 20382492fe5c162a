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
    public var verifySeconds: Double?
}

/// Writes an image source to a target (a stick opened with O_DIRECT|O_EXCL, in tests memory), in
/// this order:
/// 0. probe the target's capacity (`CapacityProbe`): a stick that wraps around or loses writes is
///    refused here, holding what it held;
/// 1. zero the target's first and last MiB (stale tables, old backup GPT);
/// 2. stream the image but its first MiB through a ring of aligned buffers: a reader thread reads,
///    digests (XXH3 per segment) and hashes (SHA or implanted MD5, when one is expected) while the I/O
///    threads write the segments before it, so the hash overlaps the writes;
/// 3. fdatasync, then compare the hash: on a mismatch stop here, the stick is not bootable;
/// 4. read the body back (O_DIRECT) and compare digests;
/// 5. read the first MiB back: still the zeros of step 1, or the stick lost them or wraps;
/// 6. write the held-back first MiB, fdatasync, read it back;
/// 7. ask the kernel to re-read the partition table.
/// SIGINT/SIGTERM (through `cancel`) stop at a segment boundary; the target is flushed and
/// reported incomplete. The writer neither opens nor closes the source and the target: its caller
/// owns them.
///
/// Why the read-back is a second pass after one fdatasync, not overlapped with the writes: the
/// overlap was built and measured (issue 9; BENCHMARKS.md, 2026-11-30) and was slower here: this
/// machine's disk gives a write and a read at once little more than one after the other (dd's
/// write and read started together take 0.74-0.89x of the two in turn), as a USB stick that
/// serves one command at a time would, and interleaving segment reads with segment writes made
/// both slower. The second pass also reads every segment after the last body write, so a stick
/// whose addresses alias in a way the probe's markers miss is still caught (a later write landing
/// on an earlier segment), and step 5 catches what lands on the first MiB, which is written after it.
public final class ImageWriter {
    let image: any ImageSource
    let device: any WriteTarget
    let plan: WritePlan
    let expected: ExpectedChecksum?
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
    public init(image: any ImageSource, device: any WriteTarget, expected: ExpectedChecksum?,
                chunkSize: Int = WritePlan.defaultChunkSize, depth: Int = 4, ioThreads: Int = 2, probe: Bool = true,
                cancel: CancellationFlag, progress: @escaping (WriteProgress) -> Void) throws {
        do {
            plan = try WritePlan(imageSize: image.size, deviceSize: device.size,
                                 sectorSize: device.logicalSectorSize, chunkSize: chunkSize)
        } catch {
            throw EdgeError(.refused, "\(device.path) (\(ByteCount.human(device.size))) is smaller than \(image.path) (\(ByteCount.human(image.size)))",
                            hint: "Use a larger stick.")
        }
        self.image = image
        self.device = device
        self.expected = expected
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

        // A fan-out tap's image is hashed once, by the fan-out, for every target.
        let hashedAlready = image as? any HashedImageSource
        let source = SourceSegments(image: image, plan: plan, hash: hashedAlready == nil ? expected.map(StreamingHash.init(for:)) : nil)
        let heldBack = AlignedBuffer(capacity: Int(WritePlan.heldBackSize), account: buffers)
        try writeBody(from: source, holdingBack: heldBack)
        progress(WriteProgress(phase: .sync, bytes: bytesWritten, totalBytes: image.size))
        try device.synchronize()

        var checksum = WriteOutcome.Checksum.unverified
        if let expected, let actual = try hashedAlready?.expectedHash() ?? source.finalizeHash() {
            guard actual == expected.hex else {
                throw ChecksumMismatchError(imagePath: image.path, expected: expected, actual: actual)
            }
            checksum = .matched(expected)
            checksumMatched = expected
        }
        let writeSeconds = (clock.now - writeStart).seconds

        let verifier = ReadBackVerifier(device: device, image: image, plan: plan, digests: source.digests,
                                        depth: depth, ioThreads: ioThreads, cancel: cancel, buffers: buffers)
        let verifyStart = clock.now
        let checked = ProgressCounter(phase: .verify, total: image.size, report: progress)
        if verify {
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

    private func writeBody(from source: SourceSegments, holdingBack heldBack: AlignedBuffer) throws {
        let device = self.device, plan = self.plan
        let written = ProgressCounter(phase: .write, total: image.size, report: progress)
        defer { bytesWritten = written.value }
        try BufferPipeline.run(segments: plan.segmentCount, bufferSize: plan.chunkSize, depth: depth,
                               consumers: ioThreads, cancel: cancel, account: buffers,
            produce: { index, buffer in try source.read(index, into: buffer) },
            consume: { index, buffer in
                if index == 0 {
                    heldBack.pointer.copyMemory(from: buffer.pointer, byteCount: buffer.count)
                    heldBack.count = buffer.count
                    written.add(0)
                    return
                }
                let length = buffer.count
                let padded = Int(plan.paddedLength(Int64(length)))
                buffer.zeroPad(to: padded)
                try device.write(buffer.bytes(upTo: padded), at: plan.segment(index).lowerBound)
                written.add(Int64(length))
            })
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
