import FileIO
import Foundation
import Synchronization
import SystemPackage
@testable import DiskOps

/// An image held in memory: a seekable source, as a file is.
final class MemoryImage: SeekableImageSource {
    let path = "memory.img"
    let bytes: [UInt8]
    private let position = Mutex<Int64>(0)

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var size: Int64 { Int64(bytes.count) }

    func readNext(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        position.withLock { offset in
            let got = copy(into: buffer, at: offset)
            offset += Int64(got)
            return got
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        copy(into: buffer, at: offset)
    }

    private func copy(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int {
        let start = Int(min(offset, size))
        let count = min(buffer.count, bytes.count - start)
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: count) }
        return count
    }
}

/// The same image as a source that can only go forward (as a decompressor).
struct ForwardOnlyImage: ImageSource {
    let image: MemoryImage
    var path: String { image.path }
    var size: Int64 { image.size }
    func readNext(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { try image.readNext(into: buffer) }
}

/// A target in memory that records every call, in the order the calls began, and can misbehave
/// as failing and counterfeit sticks do.
final class RecordingTarget: WriteTarget {
    enum Event: Equatable {
        case write(Range<Int64>, zeros: Bool)
        case read(Range<Int64>)
        case sync
        case dropCaches
        case rereadPartitionTable
    }

    struct Faults: Sendable {
        /// The write that covers this offset fails with EIO, naming it.
        var failWriteAt: Int64?
        /// Writes to these bytes return success but keep the old data.
        var lostBytes: Range<Int64>?
        /// `lostBytes` starts losing only after this many writes were made (to hit a late step).
        var lostAfterWrites = 0
        /// Claims `size` but stores this many bytes: offsets wrap around (a counterfeit stick).
        var realSize: Int64?
        /// Addresses that alias others: bytes written to (and read from) `from` are stored at
        /// `onto` (a stick whose controller maps two ranges to the same flash, at any size).
        var alias: (from: Range<Int64>, onto: Int64)?
    }

    let path = "/dev/memory"
    let size: Int64
    let logicalSectorSize: Int
    let faults: Faults
    /// Called as each write begins, with its range (a test cancels from here, as SIGINT would).
    let onWrite: @Sendable (Range<Int64>) -> Void
    private let state: Mutex<(bytes: [UInt8], events: [Event])>

    init(size: Int64, sectorSize: Int = 512, filledWith fill: UInt8 = 0, faults: Faults = Faults(),
         onWrite: @escaping @Sendable (Range<Int64>) -> Void = { _ in }) {
        self.size = size
        logicalSectorSize = sectorSize
        self.faults = faults
        self.onWrite = onWrite
        state = Mutex(([UInt8](repeating: fill, count: Int(faults.realSize ?? size)), []))
    }

    var events: [Event] { state.withLock { $0.events } }
    var bytes: [UInt8] { state.withLock { $0.bytes } }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(DeviceIOError) {
        precondition(offset % Int64(logicalSectorSize) == 0 && bytes.count % logicalSectorSize == 0, "unaligned write")
        let range = offset..<(offset + Int64(bytes.count))
        onWrite(range)
        let failure: DeviceIOError? = state.withLock { state in
            state.events.append(.write(range, zeros: isZero(bytes)))
            if let bad = faults.failWriteAt, range.contains(bad) {
                return DeviceIOError(path: path, operation: .write, offset: bad, errno: .ioError)
            }
            let writesBefore = state.events.filter { if case .write = $0 { true } else { false } }.count - 1
            let losing = writesBefore >= faults.lostAfterWrites ? faults.lostBytes : nil
            let lost = losing.map { $0.clamped(to: range) } ?? range.lowerBound..<range.lowerBound
            let kept = lost.map { state.bytes[stored($0)] }
            copy(bytes, into: &state.bytes, at: offset)
            for (at, byte) in zip(lost, kept) { state.bytes[stored(at)] = byte }
            return nil
        }
        if let failure { throw failure }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(DeviceIOError) -> Int {
        let count = Int(max(0, min(Int64(buffer.count), size - offset)))
        state.withLock { state in
            state.events.append(.read(offset..<(offset + Int64(count))))
            var done = 0
            while done < count {
                let start = stored(offset + Int64(done))
                let piece = min(count - done, contiguous(from: offset + Int64(done)))
                state.bytes.withUnsafeBytes { (buffer.baseAddress! + done).copyMemory(from: $0.baseAddress! + start, byteCount: piece) }
                done += piece
            }
        }
        return count
    }

    /// Stores `bytes` at `offset`, wrapping around where the real storage ends.
    private func copy(_ bytes: UnsafeRawBufferPointer, into storage: inout [UInt8], at offset: Int64) {
        var done = 0
        while done < bytes.count {
            let start = stored(offset + Int64(done))
            let piece = min(bytes.count - done, contiguous(from: offset + Int64(done)))
            storage.withUnsafeMutableBytes { ($0.baseAddress! + start).copyMemory(from: bytes.baseAddress! + done, byteCount: piece) }
            done += piece
        }
    }

    func synchronize() throws(DeviceIOError) { state.withLock { $0.events.append(.sync) } }
    func dropCaches() { state.withLock { $0.events.append(.dropCaches) } }
    func rereadPartitionTable() throws(Errno) {
        state.withLock { $0.events.append(.rereadPartitionTable) }
        throw .invalidArgument  // as a loop device without partitions answers
    }

    private func stored(_ offset: Int64) -> Int {
        if let alias = faults.alias, alias.from.contains(offset) { return Int(alias.onto + offset - alias.from.lowerBound) }
        return Int(offset % (faults.realSize ?? size))
    }

    /// How many bytes from `offset` are stored one after the other (up to a wrap or an alias's edge).
    private func contiguous(from offset: Int64) -> Int {
        var end = (offset / (faults.realSize ?? size) + 1) * (faults.realSize ?? size)
        if let alias = faults.alias {
            end = alias.from.contains(offset) ? min(end, alias.from.upperBound) : offset < alias.from.lowerBound ? min(end, alias.from.lowerBound) : end
        }
        return Int(end - offset)
    }
}

extension RecordingTarget {
    /// Every byte of `range` is zero. (A Bool of its own, so a failing #expect does not print megabytes.)
    func isBlank(_ range: Range<Int64>) -> Bool {
        bytes[Int(range.lowerBound)..<Int(range.upperBound)].withUnsafeBytes { isZero($0) }
    }

    /// The target starts with `image`.
    func holds(_ image: [UInt8]) -> Bool {
        bytes[..<image.count].withUnsafeBytes { stored in image.withUnsafeBytes { memcmp(stored.baseAddress!, $0.baseAddress!, image.count) == 0 } }
    }
}

/// Every byte is zero: all bytes equal their neighbour, and the first is zero.
func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
    return bytes[0] == 0 && memcmp(base, base + 1, bytes.count - 1) == 0
}
