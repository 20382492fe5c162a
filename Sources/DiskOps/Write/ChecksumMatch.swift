import ISOVerify

/// Which hashes a write takes for its expected checksum, and whether one matched: over the image as
/// written (a plain image, an implanted MD5, a checksum of the decompressed image), over the stored
/// compressed file (a checksum published beside `installer.iso.xz`), over both when its list has a
/// line for each name, or either when a digest given on the command line may describe either.
enum ChecksumMatch {
    /// The hash of the image's bytes to take while writing; nil when none is needed.
    static func imageHash(for expected: ExpectedChecksum?) -> StreamingHash? {
        expected?.overImage.map(StreamingHash.init(for:))
    }

    /// The checksum that matched, its coverage saying over which bytes; a mismatch throws, naming
    /// the digest of the bytes the checksum is for (the image's when it may be either). A stored
    /// file's line that matched is followed by the decoded image's line, when there is one.
    /// `compressed`: the image digest is of the image decoded from the file at `imagePath`.
    static func check(_ expected: ExpectedChecksum, imageDigest: String?, storedDigest: String?,
                      imagePath: String, compressed: Bool = false) throws -> ExpectedChecksum {
        var matched = expected
        if expected.coverage != .storedFile, imageDigest == expected.hex {
            matched.coverage = .image
            return matched
        }
        if expected.coverage != .image, storedDigest == expected.hex {
            matched.coverage = .storedFile
            if let decodedLine = matched.overImage, imageDigest != decodedLine.hex {
                throw ChecksumMismatchError(imagePath: imagePath, expected: decodedLine, actual: imageDigest ?? "none", decoded: true)
            }
            return matched
        }
        throw ChecksumMismatchError(imagePath: imagePath, expected: expected,
                                    actual: (expected.coverage == .storedFile ? storedDigest : imageDigest) ?? "none",
                                    decoded: compressed && expected.coverage != .storedFile)
    }
}
