/// One decompressor over one compressed stream (gzip, xz or zstd behind the same calls), fed by
/// `DecodedStream`. Not Sendable: one thread at a time owns it.
protocol StreamDecoder: AnyObject {
    /// Decodes from `input` into `output`. `inputEnded`: `input` holds the last bytes of the file.
    /// Returns how many input bytes were consumed and output bytes produced, and whether the stream
    /// ended (every member or frame, with nothing after them). Throws where the data is corrupt.
    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                inputEnded: Bool) throws(DecodeFailure) -> DecodeStep
    /// Frees the library's state.
    func end()
}

struct DecodeStep {
    var consumed: Int
    var produced: Int
    var finished: Bool
}

/// What a decompressor said about bad data; `consumed` input bytes of the call were taken before it
/// noticed, so the failure lies at (or just before) that offset of the compressed file.
struct DecodeFailure: Error {
    /// `needsMemory`: valid data whose decoder needs more memory than edgeflash allows it.
    enum Kind { case corrupt, truncated, trailingGarbage, needsMemory }
    var kind: Kind
    var reason: String
    var consumed: Int
    /// Set where the decoder cannot say where (libzstd takes input ahead into its own buffer, and
    /// a frame's checksum covers all of it): the failure lies in the last `inPreviousBytes` bytes
    /// before this call's input, or in its first `consumed`.
    var inPreviousBytes: Int? = nil
}
