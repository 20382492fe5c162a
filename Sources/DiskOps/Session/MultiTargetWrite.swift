import EdgeCore
import Foundation

/// Prepared writes of one image to several disks, run side by side: the image is read once
/// (`FanOutSource`) and each disk has its own writer, read-back and user-data volume on a thread of
/// its own. A disk that fails is detached from the fan-out and never stops or corrupts the others;
/// each result is its own. One disk is the same run with one tap. Memory: the fan-out's two shared
/// chunks, and per disk a ring of four 4 MiB buffers, three when there are several (about 13 MiB per
/// extra disk with the held-back first MiB). The sessions' `events` are called
/// from every disk's threads at once: the caller's handler serializes them.
public struct MultiTargetWrite {
    public let writes: [PreparedWrite]

    /// What one disk's write did.
    public struct TargetResult {
        public var devicePath: String
        /// What the write did; nil when it failed.
        public var written: WriteResult?
        /// Why it failed (scrubbed of secrets); nil when it succeeded.
        public var failure: (any EdgeFlashError)?
        public var seconds: Double
    }

    public struct Outcome {
        /// In the order of `writes`.
        public var targets: [TargetResult]
        /// The image as the writes read it (decompressed), for the flash log: as a write that
        /// succeeded names it, else as the shared reading or a decoder hashed it whole; nil when
        /// nothing read it whole.
        public var image: WrittenImage?
        /// A write that followed a bmap: its ranges and their digest, for the flash log (the rest
        /// of each disk kept what it held); nil otherwise, or when nothing states their digest.
        public var mapped: MappedRanges?
        /// The most memory the fan-out's shared chunks held at once.
        public var sharedBufferPeak: Int
    }

    /// `writes` all write the same image with the same expected checksum.
    public init(_ writes: [PreparedWrite]) {
        precondition(!writes.isEmpty, "a write needs a target")
        self.writes = writes
    }

    /// Runs every write; never throws for one disk's failure (it is in its result). Throws only when
    /// the image cannot be opened again for the shared reading, with nothing written.
    public func run(cancel: CancellationFlag) throws -> Outcome {
        // The fan-out reads a plain image once for every disk. A compressed image is decoded, and a
        // mapped one (bmap, sparse file) read in its ranges, by each write on its own.
        let image = writes[0].readsWholeFile ? try ImageFile(path: writes[0].image.path) : nil
        defer { image?.close() }
        let fanOut = image.map { FanOutSource(image: $0, taps: writes.count, expected: writes[0].expected) }
        let depth = writes.count > 1 ? 3 : 4
        let results = ResultSlots(count: writes.count)
        let group = DispatchGroup()
        fanOut?.start()
        for (number, write) in writes.enumerated() {
            group.enter()
            let owned = OwnedByOneThread(write)
            let thread = Thread {
                let write = owned.value
                let tap = fanOut?.tap(number)
                let clock = ContinuousClock(), start = clock.now
                var result = TargetResult(devicePath: write.disk.path, seconds: 0)
                do {
                    result.written = try write.run(cancel: cancel, shared: tap, depth: depth)
                } catch {
                    result.failure = error as? any EdgeFlashError ?? EdgeError(.failure, "writing \(write.disk.path) failed: \(error)")
                }
                tap?.detach()
                result.seconds = (clock.now - start).seconds
                results.store(result, at: number)
                group.leave()
            }
            thread.name = "edgeflash-target-\(number)"
            thread.start()
        }
        group.wait()
        fanOut?.stop()
        let targets = results.all
        let named = targets.lazy.compactMap { $0.written?.image }.first ?? fanOut?.writtenImage
            ?? writes.lazy.compactMap { ($0.source as? any HashedImageSource)?.writtenImage }.first
        // A mapped write read its ranges only: what names it is taken once, after the writes (the
        // disks are written whatever comes of it; an image that cannot be read again goes unnamed).
        var mapped: MappedRanges?
        // A sparse file written without a checksum goes unnamed: hashing its whole size (holes as
        // zeros) after the write cost more than the write of its data (`check --image` names it).
        if let map = writes[0].map, !map.zeroHoles, targets.contains(where: { $0.written != nil }) {
            mapped = try? MappedWriteDigest.bmapRanges(map, source: writes[0].source)
        }
        return Outcome(targets: targets, image: named, mapped: mapped, sharedBufferPeak: fanOut?.buffers.peakBytes ?? 0)
    }
}

/// A prepared write handed to the one thread that runs it.
private struct OwnedByOneThread: @unchecked Sendable {
    let value: PreparedWrite
    init(_ value: PreparedWrite) { self.value = value }
}

/// Each target's thread stores its result in its own slot.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [MultiTargetWrite.TargetResult?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func store(_ result: MultiTargetWrite.TargetResult, at index: Int) {
        lock.withLock { slots[index] = result }
    }

    var all: [MultiTargetWrite.TargetResult] { lock.withLock { slots.map { $0! } } }
}
