import EdgeCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An image or device opened read-only. Owns its descriptor (closed on deinit), reads with pread
/// so callers can jump straight to the structures they need, and retries EINTR in one place.
public final class ReadOnlyFile {
    /// 4 MiB: large enough that syscalls cost nothing next to hashing, small enough for the cache.
    public static let chunkSize = 4 << 20

    public let path: String
    public let size: Int64
    private let descriptor: Int32

    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw EdgeError.cannotRead(path, String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw EdgeError.cannotRead(path, reason)
        }
        var length = Int64(info.st_size)
        if (info.st_mode & S_IFMT) == S_IFBLK {
            // Block devices report st_size 0: ask for the end instead.
            length = Int64(lseek(fd, 0, SEEK_END))
        } else if (info.st_mode & S_IFMT) != S_IFREG {
            close(fd)
            throw EdgeError(.malformed, "\(path) is not a regular file or block device")
        }
        self.path = path
        self.size = length
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    /// Tells the kernel the file will be read front to back (bigger readahead).
    public func adviseSequential() {
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    /// Up to `count` bytes at `offset`; fewer only at the end of the file. Reads of a bounded
    /// structure only: `count` is capped by the caller, never taken from the image unchecked.
    public func read(offset: Int64, count: Int) throws -> [UInt8] {
        guard count > 0, offset >= 0, offset < size else { return [] }
        let wanted = Int(min(Int64(count), size - offset))
        var bytes = [UInt8](repeating: 0, count: wanted)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        if got < wanted { bytes.removeSubrange(got...) }
        return bytes
    }

    /// Fills `buffer` from `offset` until it is full or the file ends; returns the bytes read.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw EdgeError.cannotRead(path, "\(String(cString: strerror(errno))) at byte \(offset + Int64(done))")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Calls `body` with consecutive chunks of `range`, in order. A reader thread fills the next
    /// page-aligned buffer while `body` hashes the current one, so reading and hashing overlap on
    /// two cores. Stops early at the end of the file; a read error is thrown after the chunks
    /// before it were handed over.
    public func forEachChunk(in range: Range<Int64>? = nil, chunkSize: Int = ReadOnlyFile.chunkSize,
                             _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let range = range ?? 0..<size
        guard !range.isEmpty else { return }
        let pipeline = ChunkPipeline(descriptor: descriptor, path: path, range: range, chunkSize: chunkSize)
        defer { pipeline.finish() }
        pipeline.start()
        while let chunk = try pipeline.next() {
            try body(chunk)
            pipeline.release()
        }
    }
}

/// Two buffers passed between one reader thread and the consumer with semaphores. The reader
/// never runs more than one buffer ahead; `finish()` stops it and waits before buffers are freed.
private final class ChunkPipeline: @unchecked Sendable {
    private let descriptor: Int32, path: String, range: Range<Int64>, chunkSize: Int
    private let buffers: [UnsafeMutableRawBufferPointer]
    private var lengths = [0, 0]
    private var failure: EdgeError?
    // All start at 0 (libdispatch traps when a semaphore is freed below its initial value).
    private let empty = DispatchSemaphore(value: 0), filled = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var cancelled = false
    private var consumed = 0
    private var started = false

    init(descriptor: Int32, path: String, range: Range<Int64>, chunkSize: Int) {
        self.descriptor = descriptor; self.path = path; self.range = range; self.chunkSize = chunkSize
        buffers = (0..<2).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096) }
    }

    func start() {
        started = true
        empty.signal(); empty.signal() // both buffers are free
        Thread.detachNewThread { [self] in
            defer { done.signal() }
            var offset = range.lowerBound, index = 0, stop = false
            // Each pass fills one slot; a pass that reads nothing is the end marker (or, after an
            // error, the marker that makes the consumer throw it). A slot is refilled only after
            // the consumer released it, the end marker included.
            while true {
                empty.wait()
                if isCancelled { return }
                let slot = index % 2
                var got = 0
                var error: EdgeError?
                if !stop && offset < range.upperBound {
                    (got, error) = fill(buffers[slot], count: Int(min(Int64(chunkSize), range.upperBound - offset)), at: offset)
                }
                lock.lock(); lengths[slot] = got; if let error { failure = error }; lock.unlock()
                filled.signal()
                if got == 0 { return }
                offset += Int64(got)
                index += 1
                if error != nil { stop = true }
            }
        }
    }

    private var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }

    private func fill(_ buffer: UnsafeMutableRawBufferPointer, count: Int, at offset: Int64) -> (Int, EdgeError?) {
        var done = 0
        while done < count {
            let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                return (done, EdgeError.cannotRead(path, "\(String(cString: strerror(errno))) at byte \(offset + Int64(done))"))
            }
            if n == 0 { break }
            done += n
        }
        return (done, nil)
    }

    /// The next filled chunk; nil at the end. Throws the reader's error once its data is used up.
    func next() throws -> UnsafeRawBufferPointer? {
        filled.wait()
        lock.lock()
        let slot = consumed % 2, length = lengths[slot], error = failure
        lock.unlock()
        if length == 0 {
            if let error { throw error }
            return nil
        }
        return UnsafeRawBufferPointer(rebasing: buffers[slot][0..<length])
    }

    /// The consumer is done with the current chunk: the reader may refill it.
    func release() {
        consumed += 1
        empty.signal()
    }

    func finish() {
        if started {
            lock.lock(); cancelled = true; lock.unlock()
            empty.signal()
            done.wait()
        }
        buffers.forEach { $0.deallocate() }
    }
}
