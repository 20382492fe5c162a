import CLzma
#if canImport(Glibc)
import Glibc
#endif

/// liblzma's multi-threaded decoder: a multi-block stream (as `xz -T0` makes it) is decoded on
/// several threads, a single-block one on one. Concatenated streams and stream padding are
/// accepted, as xz accepts them; anything else after the last stream is refused.
final class XzDecoder: StreamDecoder {
    private var stream = lzma_stream()

    /// `threads`: decoder threads at most; `memoryLimit`: fewer threads when more would need more
    /// memory than this (never a failure: one thread goes over it if it must).
    init(threads: Int, memoryLimit: UInt64) throws(DecodeFailure) {
        Self.returnLargeBuffersToTheSystem
        var options = lzma_mt()
        options.threads = UInt32(max(1, threads))
        options.flags = 0x08  // LZMA_CONCATENATED (a macro Swift does not import)
        options.memlimit_threading = memoryLimit
        // xz -9 needs 65 MiB per thread; a header asking for over 1 GiB is hostile, not an image.
        options.memlimit_stop = 1 << 30
        options.timeout = 0  // the reader thread may block inside lzma_code: it has nothing else to do
        let status = lzma_stream_decoder_mt(&stream, &options)
        guard status == LZMA_OK else { throw DecodeFailure(kind: .corrupt, reason: "liblzma could not start (\(status.rawValue))", consumed: 0) }
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                inputEnded: Bool) throws(DecodeFailure) -> DecodeStep {
        stream.next_in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.avail_in = input.count
        stream.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.avail_out = output.count
        let status = lzma_code(&stream, inputEnded ? LZMA_FINISH : LZMA_RUN)
        let consumed = input.count - stream.avail_in
        let produced = output.count - stream.avail_out
        switch status {
        case LZMA_OK:
            return DecodeStep(consumed: consumed, produced: produced, finished: false)
        case LZMA_STREAM_END:
            return DecodeStep(consumed: consumed, produced: produced, finished: true)
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
        case LZMA_MEM_ERROR, LZMA_MEMLIMIT_ERROR:
            throw DecodeFailure(kind: .corrupt, reason: "out of memory", consumed: consumed)
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
