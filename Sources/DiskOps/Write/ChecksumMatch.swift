import ISOVerify

/// Which hashes a write takes for its expected checksum, and whether one matched: over the image as
/// written (a plain image, an implanted MD5, a checksum of the decompressed image), over the stored
/// compressed file (a checksum published beside `installer.iso.xz`), or both when a digest given on
/// the command line may describe either.
enum ChecksumMatch {
    /// The hash of the image's bytes to take while writing; nil when none is needed.
    static func imageHash(for expected: ExpectedChecksum?) -> StreamingHash? {
        guard let expected, expected.coverage != .storedFile else { return nil }
        return StreamingHash(for: expected)
    }

    /// The checksum that matched, its coverage saying over which bytes; a mismatch throws, naming
    /// the digest of the bytes the checksum is for (the image's when it may be either).
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
            return matched
        }
        throw ChecksumMismatchError(imagePath: imagePath, expected: expected,
                                    actual: (expected.coverage == .storedFile ? storedDigest : imageDigest) ?? "none",
                                    decoded: compressed && expected.coverage != .storedFile)
    }
}
