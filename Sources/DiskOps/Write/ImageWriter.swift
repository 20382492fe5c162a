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
///    threads write the segments before it, so the hash overlaps the writes. On a probed stick the
///    body is read back (O_DIRECT) during this step too, a batch behind the writes (below);
/// 3. fdatasync, then compare the hash: on a mismatch stop here, the stick is not bootable;
/// 4. without the probe (`--no-probe`), read the body back now, as a second pass;
/// 5. read the first MiB back: still the zeros of step 1, or the stick lost them or wraps;
/// 6. write the held-back first MiB, fdatasync, read it back;
/// 7. ask the kernel to re-read the partition table.
/// SIGINT/SIGTERM (through `cancel`) stop at a segment boundary; the target is flushed and
/// reported incomplete. The writer neither opens nor closes the source and the target: its caller
/// owns them.
///
/// Why the read-back may overlap the write. A segment checked early could only go bad through a
/// later write landing on it: a stick whose addresses alias (a counterfeit that wraps around), or
/// a data loss the device hides in its cache. Against both:
/// - Durability first. A segment is read back only after an fdatasync issued once it, and every
///   segment up to the end of the next 32 MiB batch, had been written; the cache is dropped
///   between (`BodySchedule`, `DurableSegments`). One sync per batch: 16 for 512 MiB, a few ms each
///   on a loop device. Each read-back thus trails the writes by at least a batch, so a device
///   cache smaller than that cannot answer it from what was just written.
/// - Aliasing. The probe refuses a stick where two of its markers (byte 0, every power of two from
///   1 MiB, the last block, a few others) land on one block: every stick that drops high address
///   bits, which is how a counterfeit maps its claimed size onto smaller flash. A wrap at a real
///   size that is not a power of two can miss the markers, but any wrap sends the byte written at
///   the real size to byte 0, so step 5 finds every wrap that reaches the image before the image
///   becomes bootable. (It also closes a gap the second pass had: the first MiB, written after it,
///   could itself land on body bytes.)
/// - Left over: a stick that maps one far region of the body onto another without touching the
///   first MiB or any marker. The second pass would catch it when both are in the image; the
///   overlap does not. Counterfeits are not built so (they wrap), and this gap is accepted here.
/// Without the probe nothing rules aliasing out, so `--no-probe` keeps the second pass.
public final class ImageWriter {
    let image: any ImageSource
    let device: any WriteTarget
    let plan: WritePlan
    let expected: ExpectedChecksum?
    let depth: Int
    /// Writes in flight at once, and as many read-backs beside them when the read-back overlaps.
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

        let source = SourceSegments(image: image, plan: plan, hash: expected.map(StreamingHash.init(for:)))
        let verifier = ReadBackVerifier(device: device, image: image, plan: plan, digests: source.digests,
                                        depth: depth, ioThreads: ioThreads, cancel: cancel, buffers: buffers)
        // Only a probed stick gets the overlapped read-back: see the type's comment for why.
        let overlapped = verify && probe
        let heldBack = AlignedBuffer(capacity: Int(WritePlan.heldBackSize), account: buffers)
        let bodyChecked = ProgressCounter(phase: .verify, total: image.size, report: overlapped ? { _ in } : progress)
        try writeBody(from: source, holdingBack: heldBack, readingBackWith: overlapped ? verifier : nil, checked: bodyChecked)
        progress(WriteProgress(phase: .sync, bytes: bytesWritten, totalBytes: image.size))
        try device.synchronize()

        var checksum = WriteOutcome.Checksum.unverified
        if let expected, let actual = source.finalizeHash() {
            guard actual == expected.hex else {
                throw ChecksumMismatchError(imagePath: image.path, expected: expected, actual: actual)
            }
            checksum = .matched(expected)
            checksumMatched = expected
        }
        let writeSeconds = (clock.now - writeStart).seconds

        let verifyStart = clock.now
        if verify && !overlapped {
            try verifier.verify(plan.bodySegments, counter: bodyChecked)
        }
        var verifySeconds = (clock.now - verifyStart).seconds

        // The stick becomes bootable only now, after the checksum and the body's read-back passed.
        if cancel.isCancelled { throw BufferPipeline.Cancelled() }
        let bootStart = clock.now
        if verify { try checkNothingLandedInTheFirstMiB() }
        try writeHeldBack(heldBack)
        if !verify { progress(WriteProgress(phase: .write, bytes: bytesWritten, totalBytes: image.size)) }
        if verify {
            let checked = ProgressCounter(phase: .verify, startingAt: bodyChecked.value, total: image.size, report: progress)
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

    /// Streams the image to the target, segment 0 into `heldBack`. With a `verifier`, the body is
    /// read back while it is written, in the order `BodySchedule` gives, each batch once
    /// `DurableSegments` saw it written and synced.
    private func writeBody(from source: SourceSegments, holdingBack heldBack: AlignedBuffer,
                           readingBackWith verifier: ReadBackVerifier?, checked: ProgressCounter) throws {
        let device = self.device, plan = self.plan
        let schedule = BodySchedule(plan: plan, readBack: verifier != nil)
        let durable = DurableSegments(schedule: schedule, device: device, cancel: cancel)
        let written = ProgressCounter(phase: .write, total: image.size, report: progress)
        defer { bytesWritten = written.value }
        // Reads back need buffers of their own beside the writes in flight.
        let extraThreads = verifier == nil ? 0 : ioThreads
        try BufferPipeline.run(segments: schedule.steps.count, bufferSize: plan.chunkSize, depth: depth + extraThreads,
                               consumers: ioThreads + extraThreads, cancel: cancel, account: buffers,
            produce: { position, buffer in
                switch schedule.steps[position] {
                case .write(let index): try source.read(index, into: buffer)
                case .readBack(let index): try durable.waitUntilDurable(index)
                }
            },
            consume: { position, buffer in
                do {
                    switch schedule.steps[position] {
                    case .write(0):
                        heldBack.pointer.copyMemory(from: buffer.pointer, byteCount: buffer.count)
                        heldBack.count = buffer.count
                        written.add(0)
                    case .write(let index):
                        let length = buffer.count
                        let padded = Int(plan.paddedLength(Int64(length)))
                        buffer.zeroPad(to: padded)
                        try device.write(buffer.bytes(upTo: padded), at: plan.segment(index).lowerBound)
                        durable.markWritten(index)
                        written.add(Int64(length))
                    case .readBack(let index):
                        try verifier?.check(index, in: buffer, counter: checked)
                    }
                } catch {
                    durable.stop()
                    throw error
                }
            })
    }

    /// The first MiB was zeroed before the body and nothing of the body is written there, so it
    /// must still read back as zeros. Data there means the zeros were lost, or a body write landed
    /// on it: the stick wraps around (a wrap at any real size, power of two or not, sends the byte
    /// written at that size to byte 0). Then the first MiB would overwrite body bytes and, with an
    /// overlapped read-back, later body writes may have overwritten segments already checked.
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
