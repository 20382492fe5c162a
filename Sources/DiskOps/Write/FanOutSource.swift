import EdgeCore
import FileIO
import Foundation
import ISOVerify

/// One image read once for several writers (a multi-target write). A reader thread reads it chunk
/// by chunk, hashes it once (SHA-256 for the flash log, and the expected checksum's hash), and
/// every chunk is handed to each tap; each writer reads its tap as its own `ImageSource`, with its
/// own pipeline, read-back and user-data volume.
///
/// Memory is bounded: at most `window` chunks are held, and a chunk is released once every live tap
/// has copied it, so the fastest target runs at most that far (plus its own ring) ahead of the
/// slowest. A slow stick must not hold the others to its pace: when the window has not moved for
/// `lagLimit`, the taps that hold it back go on alone, reading the image file themselves at their
/// own pace (a file only: a forward-only source keeps everyone in step). A tap whose writer ended,
/// failed or done, is detached: it holds nothing back, and the others never see its failure. The
/// reader reads to the end while any tap is live (the hash needs every byte), and stops when none is.
public final class FanOutSource: @unchecked Sendable {
    public let image: any ImageSource
    public let chunkSize: Int
    public let window: Int
    /// The chunks held at once; its peak is the fan-out's share of the memory bound.
    public let buffers = BufferAccount()
    private let expected: ExpectedChecksum?
    private let lagLimit: Duration
    private let reader = DispatchGroup()

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var chunks: [Int: AlignedBuffer] = [:]
    private var spare: [AlignedBuffer] = []
    private var chunksRead = 0
    private var bytesRead: Int64 = 0
    /// Bytes each tap has taken; nil once detached.
    private var cursors: [Int64?]
    /// Taps that read the file themselves: they no longer hold the window.
    private var alone: [Bool]
    /// Taps copying from a chunk outside the lock: their chunk must stay.
    private var copying: [Bool]
    /// The reader stopped: the image ended, a read failed (`readError`), or no tap is left.
    private var finished = false
    private var readError: (any Error)?
    private var digests: ImageHashes.Digests?

    /// `taps` writers will read it; `expected` is the checksum they check it against.
    public init(image: any ImageSource, taps: Int, expected: ExpectedChecksum?,
                chunkSize: Int = WritePlan.defaultChunkSize, window: Int = 2, lagLimit: Duration = .seconds(2)) {
        self.image = image
        self.chunkSize = chunkSize
        self.window = max(1, window)
        self.expected = expected
        self.lagLimit = lagLimit
        cursors = Array(repeating: 0, count: taps)
        alone = Array(repeating: false, count: taps)
        copying = Array(repeating: false, count: taps)
    }

    /// How many taps went on alone, reading the file themselves.
    public var tapsAlone: Int {
        condition.lock()
        defer { condition.unlock() }
        return alone.count(where: { $0 })
    }

    /// Tap `number`'s view of the image: re-readable at any offset when the image is.
    public func tap(_ number: Int) -> Tap {
        image is any SeekableImageSource ? SeekableTap(source: self, number: number) : Tap(source: self, number: number)
    }

    /// Starts the reader thread.
    public func start() {
        reader.enter()
        let thread = Thread { [self] in
            readAll()
            reader.leave()
        }
        thread.name = "edgeflash-fanout"
        thread.start()
    }

    /// Detaches every tap, waits for the reader to stop (then the image may be closed) and frees
    /// the chunks.
    public func stop() {
        condition.lock()
        for index in cursors.indices { cursors[index] = nil }
        condition.broadcast()
        condition.unlock()
        reader.wait()
        condition.lock()
        chunks.removeAll()
        spare.removeAll()
        condition.unlock()
    }

    /// The image's size and SHA-256, once it was read to its end; nil if it was not.
    public var writtenImage: WrittenImage? {
        condition.lock()
        defer { condition.unlock() }
        return digests?.image
    }

    // MARK: the reader

    private func readAll() {
        var hashes = ImageHashes(expected: expected)
        var held = (chunk: -1, since: ContinuousClock.now)
        while true {
            condition.lock()
            while liveTaps > 0 && chunksRead - firstNeededChunk >= window {
                guard image is any SeekableImageSource else { condition.wait(); continue }
                let now = ContinuousClock.now
                if held.chunk != firstNeededChunk { held = (firstNeededChunk, now) }
                if now - held.since >= lagLimit {
                    letLaggardsGoOnAlone()
                    held = (-1, now)
                } else {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: (held.since + lagLimit - now).seconds))
                }
            }
            guard liveTaps > 0 else { return stopReading(error: nil) }
            let buffer = spare.popLast() ?? AlignedBuffer(capacity: chunkSize, account: buffers)
            let want = Int(min(Int64(chunkSize), image.size - bytesRead))
            condition.unlock()

            let got: Int
            do {
                got = try readFully(into: buffer, count: want)
            } catch {
                condition.lock()
                return stopReading(error: error)
            }
            buffer.count = got
            hashes.update(buffer.bytes)
            let ended = got < chunkSize || bytesRead + Int64(got) >= image.size

            condition.lock()
            chunks[chunksRead] = buffer
            chunksRead += 1
            bytesRead += Int64(got)
            releasePassedChunks()  // at once when only taps gone on alone are left
            if ended {
                // Whole only when every byte was there: a shorter image fails each writer instead.
                if bytesRead == image.size { digests = hashes.finalize() }
                return stopReading(error: nil)
            }
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Called with the lock held; releases it.
    private func stopReading(error: (any Error)?) {
        finished = true
        readError = error
        condition.broadcast()
        condition.unlock()
    }

    private func readFully(into buffer: AlignedBuffer, count: Int) throws -> Int {
        var filled = 0
        while filled < count {
            let got = try image.readNext(into: UnsafeMutableRawBufferPointer(start: buffer.pointer + filled, count: count - filled))
            if got == 0 { break }
            filled += got
        }
        return filled
    }

    private var liveTaps: Int { cursors.count(where: { $0 != nil }) }

    /// The cursors of the live taps that read from the chunks.
    private var sharing: [Int64] { cursors.indices.compactMap { alone[$0] ? nil : cursors[$0] } }

    /// The lowest chunk a tap reading from the chunks still needs.
    private var firstNeededChunk: Int {
        Int((sharing.min() ?? bytesRead) / Int64(chunkSize))
    }

    /// Called with the lock held, when the window has not moved for `lagLimit`: the taps still in
    /// its first chunk go on alone, if another tap is ahead of them (when all are in the same
    /// place, all are equally slow and nobody waits for anybody).
    private func letLaggardsGoOnAlone() {
        let first = firstNeededChunk
        guard sharing.contains(where: { Int($0 / Int64(chunkSize)) > first }) else { return }
        for index in cursors.indices where !alone[index] && !copying[index] {
            if let cursor = cursors[index], Int(cursor / Int64(chunkSize)) == first { alone[index] = true }
        }
        releasePassedChunks()
        condition.broadcast()
    }

    /// Called with the lock held: chunks every live tap has passed go back to the spares.
    private func releasePassedChunks() {
        let needed = firstNeededChunk
        for index in chunks.keys where index < needed {
            spare.append(chunks.removeValue(forKey: index)!)
        }
    }

    // MARK: the taps

    fileprivate func read(tap number: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            condition.lock()
            guard let cursor = cursors[number] else {
                condition.unlock()
                throw EdgeError(.failure, "internal error: a detached fan-out tap was read")
            }
            if alone[number] {
                condition.unlock()
                let got = try readAlone(into: buffer, filled: filled, at: cursor)
                if got == 0 { return filled }
                filled += got
                condition.lock()
                cursors[number] = cursor + Int64(got)
                condition.unlock()
                continue
            }
            let index = Int(cursor / Int64(chunkSize))
            while index >= chunksRead && !finished { condition.wait() }
            guard index < chunksRead, let chunk = chunks[index] else {
                let error = readError
                condition.unlock()
                if let error { throw error }
                return filled  // the image ended
            }
            copying[number] = true
            condition.unlock()

            // The chunk stays while this tap's cursor is in it and it copies: copied without the lock.
            let within = Int(cursor - Int64(index) * Int64(chunkSize))
            let count = min(chunk.count - within, buffer.count - filled)
            if count > 0 { (buffer.baseAddress! + filled).copyMemory(from: chunk.pointer + within, byteCount: count) }
            filled += max(0, count)

            condition.lock()
            copying[number] = false
            guard count > 0 else {
                condition.unlock()
                return filled
            }
            cursors[number] = cursor + Int64(count)
            releasePassedChunks()
            condition.broadcast()
            condition.unlock()
        }
        return filled
    }

    /// A tap gone on alone reads the file at its own offset, up to the image's size.
    private func readAlone(into buffer: UnsafeMutableRawBufferPointer, filled: Int, at offset: Int64) throws -> Int {
        let count = Int(min(Int64(buffer.count - filled), max(0, image.size - offset)))
        guard count > 0 else { return 0 }
        return try (image as! any SeekableImageSource).read(into: UnsafeMutableRawBufferPointer(start: buffer.baseAddress! + filled, count: count), at: offset)
    }

    fileprivate func detach(tap number: Int) {
        condition.lock()
        cursors[number] = nil
        releasePassedChunks()
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the reader to finish; the expected checksum's hash, or nil when none is expected.
    fileprivate func expectedHash() throws -> String? {
        condition.lock()
        defer { condition.unlock() }
        while !finished { condition.wait() }
        guard expected != nil else { return nil }
        if let expectedHex = digests?.expected { return expectedHex }
        if let readError { throw readError }
        throw ImageChangedError(imagePath: image.path, offset: bytesRead)
    }

    /// One writer's view of the image: its own cursor over the shared chunks.
    public class Tap: HashedImageSource, @unchecked Sendable {
        fileprivate let source: FanOutSource
        fileprivate let number: Int

        fileprivate init(source: FanOutSource, number: Int) {
            self.source = source
            self.number = number
        }

        public var path: String { source.image.path }
        public var size: Int64 { source.image.size }

        public func readNext(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            try source.read(tap: number, into: buffer)
        }

        public func expectedHash() throws -> String? { try source.expectedHash() }

        public var writtenImage: WrittenImage? { source.writtenImage }

        /// This writer is done (or failed): it no longer holds the others back.
        public func detach() { source.detach(tap: number) }
    }

    /// A tap over a file: a read-back mismatch re-reads the image to name the exact byte.
    final class SeekableTap: Tap, SeekableImageSource, @unchecked Sendable {
        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
            try (source.image as! any SeekableImageSource).read(into: buffer, at: offset)
        }
    }
}
