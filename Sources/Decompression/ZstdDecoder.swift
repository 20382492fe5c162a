import CZstd

/// libzstd's streaming decoder: frames follow one another (as pzstd or `cat` make them); bytes that
/// are not a frame are refused where they start.
final class ZstdDecoder: StreamDecoder {
    private let context: OpaquePointer
    /// The last call ended exactly on a frame's end: the input may stop here.
    private var atFrameEnd = true

    init() throws(DecodeFailure) {
        guard let context = ZSTD_createDCtx() else { throw DecodeFailure(kind: .corrupt, reason: "libzstd could not start", consumed: 0) }
        self.context = context
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                inputEnded: Bool) throws(DecodeFailure) -> DecodeStep {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let hint = ZSTD_decompressStream(context, &target, &source)
        if ZSTD_isError(hint) != 0 {
            throw DecodeFailure(kind: .corrupt, reason: String(cString: ZSTD_getErrorName(hint)), consumed: source.pos)
        }
        // 0: a frame was decoded and flushed whole; more output may still be pending otherwise.
        atFrameEnd = hint == 0
        let finished = inputEnded && source.pos == input.count && atFrameEnd
        if inputEnded && source.pos == input.count && !atFrameEnd && target.pos == 0 {
            throw DecodeFailure(kind: .truncated, reason: "the zstd stream ends inside a frame", consumed: source.pos)
        }
        return DecodeStep(consumed: source.pos, produced: target.pos, finished: finished)
    }

    func end() { ZSTD_freeDCtx(context) }
}
