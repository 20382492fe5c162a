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
        guard fd >= 0 else { throw ISOVerifyError.io(path, String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ISOVerifyError.io(path, reason)
        }
        var length = Int64(info.st_size)
        if (info.st_mode & S_IFMT) == S_IFBLK {
            // Block devices report st_size 0: ask for the end instead.
            length = Int64(lseek(fd, 0, SEEK_END))
        } else if (info.st_mode & S_IFMT) != S_IFREG {
            close(fd)
            throw ISOVerifyError("\(path) is not a regular file or block device")
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
                throw ISOVerifyError.io(path, "\(String(cString: strerror(errno))) at byte \(offset + Int64(done))")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Calls `body` with consecutive chunks of `range` (a page-aligned buffer of `chunkSize`
    /// reused for every call). Stops early at the end of the file.
    public func forEachChunk(in range: Range<Int64>? = nil, chunkSize: Int = ReadOnlyFile.chunkSize,
                             _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let range = range ?? 0..<size
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 4096)
        defer { buffer.deallocate() }
        var offset = range.lowerBound
        while offset < range.upperBound {
            let want = Int(min(Int64(chunkSize), range.upperBound - offset))
            let got = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: offset)
            if got == 0 { break }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            offset += Int64(got)
        }
    }
}
