import EdgeCore
import FileIO
import Synchronization

/// Finds a stick that claims more than it stores, before a byte of the image is written.
///
/// Counterfeit sticks report a large size but keep only their real capacity: writes past it wrap
/// around onto earlier data, vanish, or fail. The probe writes a 4 KiB marker (its own offset, a
/// per-run nonce, and bytes derived from both) at offsets spread over the whole claimed size (the
/// start, every power-of-two MiB, a few pseudo-random places, the last 4 KiB), flushes, reads them
/// all back with O_DIRECT, and puts the original bytes back (each step with its requests in flight together). A marker that reads back as another
/// marker means the stick wraps around; one that reads back as anything else means it does not keep
/// what is written there. Either way the write is refused while the stick still holds what it held.
public enum CapacityProbe {
    public static let markerSize = 4096
    static let magic = Array("EDGEFLASH-PROBE\u{0}".utf8)

    /// What the probe found: the stick keeps what is written anywhere in its claimed size, or not.
    public enum Finding: Sendable, Equatable {
        case keepsEverything
        /// Data written at `offset` reads back as the data written at `readBack`: it wraps around
        /// every `period` bytes, so it stores at most `period`.
        case wraps(offset: Int64, readBack: Int64, period: Int64)
        /// Data written at `offset` did not read back (zeros, garbage, or an error).
        case loses(offset: Int64, detail: String)
    }

    /// The marker offsets for a target of `size` bytes: whole 4 KiB blocks, ascending, no repeats.
    static func offsets(size: Int64) -> [Int64] {
        let block = Int64(markerSize)
        let last = size / block * block - block
        guard last >= 0 else { return [] }
        var offsets: Set<Int64> = [0, last]
        var power: Int64 = 1 << 20
        while power <= last { offsets.insert(power); power <<= 1 }
        // Some fakes map addresses in other ways than a plain modulo: a few places in between,
        // the same for the same size so a failure can be replayed.
        var state = UInt64(bitPattern: size) | 1
        for _ in 0..<8 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            offsets.insert(Int64((state &* 2_685_821_657_736_338_717) % UInt64(last / block + 1)) * block)
        }
        return offsets.sorted()
    }

    /// Marker requests in flight at once. Each phase (read the originals, write the markers, read
    /// them back, put the originals back) sends its ~30 requests together: a stick or a loop device
    /// answers small random requests in flight much sooner than one after the other.
    static let inFlight = 8

    /// Probes `target`, restores what it held at the marker offsets, and says what it found. Throws
    /// only when the target cannot be read at all (the write would fail the same way). When the
    /// stick keeps everything, the restored blocks are left for the write's own fdatasync (it
    /// follows, and also runs after a failure); a refused stick is synced here.
    public static func run(_ target: any WriteTarget) throws -> Finding {
        let places = offsets(size: target.size)
        let nonce = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let originals = AlignedBuffer(capacity: max(places.count, 1) * markerSize)
        try forEachPlace(places) { index, _ in
            _ = try target.read(into: slot(originals, index), at: places[index])
        }
        let finding = try markersReadBack(target, places: places, nonce: nonce)
        // Put back what the stick held; the write that follows (or the refusal) starts from it.
        try? forEachPlace(places) { index, _ in
            try target.write(UnsafeRawBufferPointer(slot(originals, index)), at: places[index])
        }
        if finding != .keepsEverything { try? target.synchronize() }
        return finding
    }

    /// Writes the markers, flushes, reads them back with the cache dropped: what the stick does.
    private static func markersReadBack(_ target: any WriteTarget, places: [Int64], nonce: [UInt8]) throws -> Finding {
        let writeFailures = Mutex<[Int: String]>([:])
        try forEachPlace(places, prepare: { index, marker in fill(marker, offset: places[index], nonce: nonce) }) { index, marker in
            do throws(DeviceIOError) {
                try target.write(marker.bytes(upTo: markerSize), at: places[index])
            } catch {
                writeFailures.withLock { $0[index] = error.message }
            }
        }
        if let (index, message) = writeFailures.withLock({ $0.min { $0.key < $1.key } }) {
            return .loses(offset: places[index], detail: "writing there failed: \(message)")
        }
        do { try target.synchronize() } catch { return .loses(offset: places.last ?? 0, detail: error.message) }
        target.dropCaches()

        // What each marker read back as: itself (nil), another of this run's markers, other data,
        // or an error.
        enum Back { case other(Int64?), failed(String) }
        let backs = Mutex<[Int: Back]>([:])
        try forEachPlace(places) { index, back in
            let offset = places[index]
            let got: Int
            do throws(DeviceIOError) {
                got = try target.read(into: UnsafeMutableRawBufferPointer(start: back.pointer, count: markerSize), at: offset)
            } catch {
                backs.withLock { $0[index] = .failed(error.message) }
                return
            }
            back.count = got
            let expected = AlignedBuffer(capacity: markerSize)
            fill(expected, offset: offset, nonce: nonce)
            if got == markerSize, back.bytes.elementsEqual(expected.bytes) { return }
            let other = markerOffset(in: back, nonce: nonce).flatMap { $0 == offset ? nil : $0 }
            backs.withLock { $0[index] = .other(other) }
        }

        // In offset order, as if read one by one: the first that does not read back decides what
        // the stick does; every misplaced one also gives a distance, and their common divisor is
        // the wrap period.
        var firstWrong: (offset: Int64, readBack: Int64?)?
        var period: Int64 = 0
        for (index, offset) in places.enumerated() {
            switch backs.withLock({ $0[index] }) {
            case nil:
                continue
            case .failed(let message):
                if firstWrong == nil { return .loses(offset: offset, detail: "reading it back failed: \(message)") }
            case .other(let other):
                if let other { period = gcd(period, abs(other - offset)) }
                if firstWrong == nil { firstWrong = (offset, other) }
            }
        }
        guard let firstWrong else { return .keepsEverything }
        guard let readBack = firstWrong.readBack else {
            return .loses(offset: firstWrong.offset, detail: "it reads back as other data")
        }
        return .wraps(offset: firstWrong.offset, readBack: readBack, period: period)
    }

    /// Runs `io` once per place, `inFlight` at a time, each with a 4 KiB buffer `prepare` filled.
    private static func forEachPlace(_ places: [Int64],
                                     prepare: @escaping @Sendable (Int, AlignedBuffer) -> Void = { _, _ in },
                                     _ io: @escaping @Sendable (Int, AlignedBuffer) throws -> Void) throws {
        try BufferPipeline.run(segments: places.count, bufferSize: markerSize, depth: inFlight, consumers: inFlight,
                               cancel: CancellationFlag(), produce: prepare, consume: io)
    }

    private static func gcd(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? a : gcd(b, a % b) }

    private static func slot(_ buffer: AlignedBuffer, _ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: buffer.pointer + index * markerSize, count: markerSize)
    }

    /// The marker for `offset`: magic, offset, nonce, then bytes that depend on both, so a stick
    /// that keeps only part of a block is caught too.
    static func fill(_ buffer: AlignedBuffer, offset: Int64, nonce: [UInt8]) {
        var bytes = magic + withUnsafeBytes(of: offset.littleEndian, Array.init) + nonce
        var state = UInt64(bitPattern: offset) ^ nonce.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } | 1
        while bytes.count < markerSize {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            bytes.append(UInt8(truncatingIfNeeded: state))
        }
        bytes.withUnsafeBytes { buffer.pointer.copyMemory(from: $0.baseAddress!, byteCount: markerSize) }
        buffer.count = markerSize
    }

    /// The offset a block read back was written for, when it is one of this run's markers.
    static func markerOffset(in buffer: AlignedBuffer, nonce: [UInt8]) -> Int64? {
        let bytes = buffer.bytes
        guard bytes.count >= 40, bytes.prefix(16).elementsEqual(magic), bytes[24..<40].elementsEqual(nonce) else { return nil }
        return bytes[16..<24].enumerated().reduce(Int64(0)) { $0 | Int64($1.element) << (8 * $1.offset) }
    }
}

extension CapacityProbe.Finding {
    /// The refusal for a stick that does not keep what is written; nil when it does.
    public func refusal(target: String, claimedSize: Int64) -> EdgeError? {
        let claimed = ByteCount.human(claimedSize)
        switch self {
        case .keepsEverything:
            return nil
        case .wraps(let offset, let readBack, let period):
            return EdgeError(.refused, "\(target) claims \(claimed) but wraps around: data written at byte \(readBack) (\(ByteCount.human(readBack))) reads back at byte \(offset): it really holds at most \(ByteCount.human(period))",
                             hint: "It is counterfeit or failing: use another stick. Nothing was written (the probe put back what it changed). --no-probe writes anyway; the read-back would then fail.")
        case .loses(let offset, let detail):
            return EdgeError(.refused, "\(target) claims \(claimed) but does not keep what is written at byte \(offset) (\(ByteCount.human(offset))): \(detail)",
                             hint: "It is counterfeit (smaller than it claims) or failing: use another stick. Nothing was written (the probe put back what it changed). --no-probe writes anyway; the read-back would then fail.")
        }
    }
}
