import ISOVerify

/// An image as a stick holds it, named by its length and SHA-256 (of the decompressed bytes, for a
/// compressed image): what the flash log records, and what `check` looks a stick's region up by.
public struct WrittenImage: Hashable, Sendable {
    public var size: Int64
    public var sha256: String

    public init(size: Int64, sha256: String) {
        self.size = size
        self.sha256 = sha256
    }

    /// The image `source` wrote: as the source hashed it while it was read (a fan-out, a decoder),
    /// else as the checksum that matched it names it, when that is a SHA-256 of the image itself (a
    /// mapped image, read in its ranges only); nil when neither does.
    static func named(by source: any ImageSource, checksum: WriteOutcome.Checksum) -> WrittenImage? {
        if let hashed = (source as? any HashedImageSource)?.writtenImage { return hashed }
        guard case .matched(let matched) = checksum, matched.algorithm == .sha256, matched.implantedMD5Length == nil,
              matched.coverage == .image, source.sizeIsStated else { return nil }
        return WrittenImage(size: source.size, sha256: matched.hex)
    }
}

/// The hashes taken of an image while it is read once, front to back, for whatever writes it: its
/// SHA-256 (the `WrittenImage` the log records), and the expected checksum's own hash when that is
/// over the image (`ExpectedChecksum.overImage`) and another one (a SHA-512, an implanted MD5). The fan-out takes them of a plain
/// image, `CompressedImage` of a compressed one's decoded bytes. One thread at a time.
struct ImageHashes {
    struct Digests {
        var image: WrittenImage
        /// The expected checksum's hash over the image; nil when none over the image is expected.
        var expected: String?
    }

    private var sha256 = StreamingHash(.sha256)
    private var other: StreamingHash?
    private let expectsImageHash: Bool
    private var bytes: Int64 = 0

    /// A checksum over a compressed file as stored is not taken here: its bytes are not the image's
    /// (the decoded image's line beside it is).
    init(expected: ExpectedChecksum?) {
        let overImage = expected?.overImage
        other = overImage.flatMap { $0.algorithm == .sha256 && $0.implantedMD5Length == nil ? nil : StreamingHash(for: $0) }
        expectsImageHash = overImage != nil
    }

    mutating func update(_ chunk: UnsafeRawBufferPointer) {
        sha256.update(chunk)
        other?.update(chunk)
        bytes += Int64(chunk.count)
    }

    /// Once every byte of the image went through `update`.
    func finalize() -> Digests {
        let image = WrittenImage(size: bytes, sha256: sha256.finalizeHex())
        return Digests(image: image, expected: other?.finalizeHex() ?? (expectsImageHash ? image.sha256 : nil))
    }
}
