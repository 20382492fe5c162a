import CZstd

/// libzstd's streaming decoder: frames follow one another (as pzstd or `cat` make them), skippable
/// frames among them; bytes after a frame that cannot start one are trailing garbage, refused where
/// they start.
final class ZstdDecoder: StreamDecoder {
    private let context: OpaquePointer
    /// The last call ended exactly on a frame's end: the input may stop here.
    private var atFrameEnd = true
    /// Input consumed since the current frame started (a call that ends a frame stops at its end).
    private var frameConsumed = 0

    /// libzstd's default bound on a frame's window (ZSTD_WINDOWLOG_LIMIT_DEFAULT): 128 MiB.
    static let windowLimit = 1 << 27

    init() throws(DecodeFailure) {
        guard let context = ZSTD_createDCtx() else { throw DecodeFailure(kind: .corrupt, reason: "libzstd could not start", consumed: 0) }
        self.context = context
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                inputEnded: Bool) throws(DecodeFailure) -> DecodeStep {
        if atFrameEnd, input.isEmpty, inputEnded { return DecodeStep(consumed: 0, produced: 0, finished: true) }
        if atFrameEnd, !Self.mayStartFrame(input) {
            throw DecodeFailure(kind: .trailingGarbage, reason: "bytes that are not a zstd frame follow the zstd stream", consumed: 0)
        }
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let hint = ZSTD_decompressStream(context, &target, &source)
        if ZSTD_isError(hint) != 0 {
            if ZSTD_getErrorCode(hint) == ZSTD_error_frameParameter_windowTooLarge {
                let window = Self.windowSize(input).map { "a \($0 >> 20) MiB window" } ?? "a window larger than \(Self.windowLimit >> 20) MiB"
                throw DecodeFailure(kind: .needsMemory, reason: "the zstd frame needs \(window) to decode (it was made with zstd --long or a high level), and edgeflash lets its decoder use at most \(Self.windowLimit >> 20) MiB",
                                    consumed: 0)
            }
            // The input position is not moved on an error: the damage is somewhere in the frame
            // as far as its input went.
            throw DecodeFailure(kind: .corrupt, reason: String(cString: ZSTD_getErrorName(hint)), consumed: input.count,
                                inPreviousBytes: frameConsumed)
        }
        // 0: a frame was decoded and flushed whole; more output may still be pending otherwise.
        atFrameEnd = hint == 0
        frameConsumed = atFrameEnd ? 0 : frameConsumed + source.pos
        let finished = inputEnded && source.pos == input.count && atFrameEnd
        if inputEnded && source.pos == input.count && !atFrameEnd && target.pos == 0 {
            throw DecodeFailure(kind: .truncated, reason: "the zstd stream ends inside a frame", consumed: source.pos)
        }
        return DecodeStep(consumed: source.pos, produced: target.pos, finished: finished)
    }

    func end() { ZSTD_freeDCtx(context) }

    /// Whether `bytes` (what follows a frame) may start a zstd or a skippable frame: as far as
    /// they go, they match one of the magics.
    static func mayStartFrame(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let head = Array(bytes.prefix(4))
        let zstd: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        let skippable: [UInt8] = [0x50, 0x2A, 0x4D, 0x18]
        return zstd.starts(with: head)
            || head.enumerated().allSatisfy { $0.offset == 0 ? $0.element & 0xF0 == 0x50 : $0.element == skippable[$0.offset] }
    }

    /// The window a frame header at the start of `bytes` (after any skippable frames) asks for
    /// (RFC 8878, 3.1.1.1.2); nil when no whole header is there.
    static func windowSize(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        func word(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        while offset + 8 <= bytes.count, CompressionFormat.startsWithSkippableFrame(bytes[offset...]) {
            offset += 8 + word(offset + 4)
        }
        guard offset + 6 <= bytes.count, bytes[offset] == 0x28, bytes[offset + 4] & 0x20 == 0 else { return nil }
        let descriptor = Int(bytes[offset + 5])
        let base = 1 << (10 + descriptor >> 3)
        return base + base / 8 * (descriptor & 7)
    }
}
