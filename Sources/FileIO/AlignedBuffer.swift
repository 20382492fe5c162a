#if canImport(Glibc)
import Glibc
#endif

/// Memory that O_DIRECT accepts: its address and length are multiples of `alignment` (4 KiB covers
/// every logical sector size a disk reports). One owner at a time: the pipeline hands a buffer from
/// the reader thread to a consumer thread through a queue and never touches it from both at once.
public final class AlignedBuffer: @unchecked Sendable {
    public static let alignment = 4096

    public let capacity: Int
    public let pointer: UnsafeMutableRawPointer
    /// How many bytes at the start hold data.
    public var count: Int = 0
    private let account: BufferAccount?

    /// `account`, when given, counts this buffer's bytes while it lives.
    public init(capacity: Int, account: BufferAccount? = nil) {
        precondition(capacity > 0 && capacity % Self.alignment == 0, "capacity must be a multiple of 4 KiB")
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, Self.alignment, capacity)
        guard status == 0, let raw else { fatalError("out of memory for a \(capacity)-byte I/O buffer") }
        pointer = raw
        self.capacity = capacity
        self.account = account
        account?.add(capacity)
    }

    deinit {
        free(pointer)
        account?.add(-capacity)
    }

    /// The bytes that hold data.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }

    /// The first `length` bytes, whatever `count` says.
    public func bytes(upTo length: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: pointer, count: min(length, capacity))
    }

    /// Zeroes from `count` up to `length` (O_DIRECT writes whole sectors: the tail must not be stale).
    public func zeroPad(to length: Int) {
        precondition(length <= capacity)
        if length > count { memset(pointer + count, 0, length - count) }
    }

    public func zeroAll() {
        memset(pointer, 0, capacity)
        count = capacity
    }
}
