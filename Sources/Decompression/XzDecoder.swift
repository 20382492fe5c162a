import CLzma
#if canImport(Glibc)
import Glibc
#endif

/// liblzma's multi-threaded decoder: a multi-block stream (as `xz -T0` makes it) is decoded on
/// several threads, a single-block one on one. Streams that follow one another, with stream padding
/// (zeros, in fours) between and after them, are decoded in turn, as xz decodes them; anything else
/// after a stream is trailing garbage, refused where it starts (liblzma's own concatenated mode
/// would call it a truncated or corrupt stream, at an offset past it).
final class XzDecoder: StreamDecoder {
    private var stream = lzma_stream()
    private var options = lzma_mt()
    /// The last stream ended: what follows must be padding, another stream, or nothing.
    private var betweenStreams = false
    /// Zero bytes seen since the last stream ended.
    private var padding = 0

    /// xz -9 needs 65 MiB per thread; a header asking for over 1 GiB is hostile, or made for a
    /// machine with memory to spare: edgeflash does not decode it.
    static let memoryLimit: UInt64 = 1 << 30
    static let streamMagic: [UInt8] = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]

    /// `threads`: decoder threads at most; `memoryLimit`: fewer threads when more would need more
    /// memory than this (never a failure: one thread goes over it if it must).
    init(threads: Int, memoryLimit: UInt64) throws(DecodeFailure) {
        Self.returnLargeBuffersToTheSystem
        options.threads = UInt32(max(1, threads))
        options.memlimit_threading = memoryLimit
        options.memlimit_stop = Self.memoryLimit
        options.timeout = 0  // the reader thread may block inside lzma_code: it has nothing else to do
        try start()
    }

    private func start() throws(DecodeFailure) {
        let status = lzma_stream_decoder_mt(&stream, &options)
        guard status == LZMA_OK else { throw DecodeFailure(kind: .corrupt, reason: "liblzma could not start (\(status.rawValue))", consumed: 0) }
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                inputEnded: Bool) throws(DecodeFailure) -> DecodeStep {
        var skipped = 0
        if betweenStreams {
            while skipped < input.count, input[skipped] == 0 { skipped += 1 }
            padding += skipped
            let rest = UnsafeRawBufferPointer(rebasing: input[skipped...])
            if rest.isEmpty || (rest.count < Self.streamMagic.count && !inputEnded) {
                if inputEnded && padding % 4 != 0 {
                    throw DecodeFailure(kind: .trailingGarbage, reason: "\(padding % 4) bytes that are not xz stream padding follow the xz stream",
                                        consumed: max(0, skipped - padding % 4))
                }
                return DecodeStep(consumed: skipped, produced: 0, finished: rest.isEmpty && inputEnded)
            }
            guard padding % 4 == 0, rest.starts(with: Self.streamMagic) else {
                throw DecodeFailure(kind: .trailingGarbage, reason: "bytes that are not an xz stream follow the xz stream", consumed: skipped)
            }
            try start()
            betweenStreams = false
            padding = 0
        }
        let rest = UnsafeRawBufferPointer(rebasing: input[skipped...])
        stream.next_in = rest.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.avail_in = rest.count
        stream.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.avail_out = output.count
        let status = lzma_code(&stream, inputEnded ? LZMA_FINISH : LZMA_RUN)
        let consumed = skipped + rest.count - stream.avail_in
        let produced = output.count - stream.avail_out
        switch status {
        case LZMA_OK:
            return DecodeStep(consumed: consumed, produced: produced, finished: false)
        case LZMA_STREAM_END:
            betweenStreams = true
            return DecodeStep(consumed: consumed, produced: produced, finished: inputEnded && consumed == input.count)
        case LZMA_BUF_ERROR where inputEnded:
            throw DecodeFailure(kind: .truncated, reason: "the xz stream ends before its last block and index do", consumed: consumed)
        case LZMA_BUF_ERROR:
            return DecodeStep(consumed: consumed, produced: produced, finished: false)
        case LZMA_FORMAT_ERROR:
            throw DecodeFailure(kind: .corrupt, reason: "not xz data (no stream header where one must be)", consumed: consumed)
        case LZMA_DATA_ERROR:
            throw DecodeFailure(kind: .corrupt, reason: "corrupt compressed data", consumed: consumed)
        case LZMA_OPTIONS_ERROR:
            throw DecodeFailure(kind: .corrupt, reason: "options this liblzma does not support", consumed: consumed)
        case LZMA_MEMLIMIT_ERROR:
            let needed = lzma_memusage(&stream)
            throw DecodeFailure(kind: .needsMemory, reason: "the xz stream needs \(needed > Self.memoryLimit ? "\(needed >> 20) MiB" : "more than \(Self.memoryLimit >> 20) MiB") of memory to decode (its dictionary, set when it was compressed), and edgeflash lets its decoder use at most \(Self.memoryLimit >> 20) MiB",
                                consumed: consumed)
        case LZMA_MEM_ERROR:
            throw DecodeFailure(kind: .needsMemory, reason: "the system could not give liblzma the memory it needs", consumed: consumed)
        default:
            throw DecodeFailure(kind: .corrupt, reason: "liblzma error \(status.rawValue)", consumed: consumed)
        }
    }

    func end() { lzma_end(&stream) }

    /// The threads allocate a block-sized buffer per block. glibc would keep freed ones in each
    /// thread's heap (its mmap threshold rises to the largest freed size), so the process would
    /// hold several blocks' worth more than liblzma counts: a fixed threshold maps and unmaps them.
    private static let returnLargeBuffersToTheSystem: Void = {
        _ = mallopt(-3, 1 << 20)  // M_MMAP_THRESHOLD (a macro Swift does not import)
    }()
}
