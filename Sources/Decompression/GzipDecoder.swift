import CZlib

/// zlib's inflate over gzip members: concatenated members (as `cat a.gz b.gz` or pigz make) are
/// decoded in turn. Zero bytes after a member are padding (a copy padded to a block size, as
/// `dd conv=sync` or a tape makes): they end the stream, as gzip ignores them. Anything else after
/// a member, or after such padding, is trailing garbage, refused (gzip only warns).
final class GzipDecoder: StreamDecoder {
    private var stream = z_stream()
    /// The last member ended: the next bytes must start another member, be padding, or be the end.
    private var betweenMembers = false
    /// Zero padding began: only zeros may follow, to the end of the file.
    private var inPadding = false

    init() throws(DecodeFailure) {
        // 15 + 16: a 32 KiB window and a gzip header and trailer (not zlib's, not raw deflate).
        let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, CInt(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw DecodeFailure(kind: .corrupt, reason: "zlib could not start (\(status))", consumed: 0) }
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                inputEnded: Bool) throws(DecodeFailure) -> DecodeStep {
        var consumed = 0
        if inPadding || (betweenMembers && input.first == 0) {
            inPadding = true
            let zeros = input.firstIndex { $0 != 0 } ?? input.count
            guard zeros == input.count else {
                throw DecodeFailure(kind: .trailingGarbage, reason: "bytes that are not zeros follow the zero padding after the gzip stream", consumed: zeros)
            }
            return DecodeStep(consumed: zeros, produced: 0, finished: inputEnded)
        }
        if betweenMembers {
            if input.isEmpty { return DecodeStep(consumed: 0, produced: 0, finished: inputEnded) }
            if input.count < 2 && !inputEnded { return DecodeStep(consumed: 0, produced: 0, finished: false) }
            guard input.count >= 2, input[0] == 0x1F, input[1] == 0x8B else {
                throw DecodeFailure(kind: .trailingGarbage, reason: "bytes that are not a gzip member follow the gzip stream", consumed: 0)
            }
            inflateReset(&stream)
            betweenMembers = false
        }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(output.count)
        let status = inflate(&stream, Z_NO_FLUSH)
        consumed += input.count - Int(stream.avail_in)
        let produced = output.count - Int(stream.avail_out)
        switch status {
        case Z_STREAM_END:
            betweenMembers = true
            return DecodeStep(consumed: consumed, produced: produced, finished: inputEnded && consumed == input.count)
        case Z_OK:
            return DecodeStep(consumed: consumed, produced: produced, finished: false)
        case Z_BUF_ERROR where inputEnded && consumed == input.count && produced == 0:
            throw DecodeFailure(kind: .truncated, reason: "the gzip stream ends before its last member does", consumed: consumed)
        case Z_BUF_ERROR:
            return DecodeStep(consumed: consumed, produced: produced, finished: false)
        default:
            let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
            throw DecodeFailure(kind: .corrupt, reason: message, consumed: consumed)
        }
    }

    func end() { inflateEnd(&stream) }
}
