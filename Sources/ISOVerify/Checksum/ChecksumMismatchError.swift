import EdgeCore

/// The image's hash is not the one its checksum file (or --sha256/--sha512) names.
public struct ChecksumMismatchError: EdgeFlashError, Equatable {
    public let imagePath: String
    public let expected: ExpectedChecksum
    public let actual: String
    /// `actual` is the hash of the image decoded from `imagePath` (a compressed file), not of its
    /// stored bytes: the message names those bytes, so a hash is never shown beside the wrong file.
    public let decoded: Bool

    public init(imagePath: String, expected: ExpectedChecksum, actual: String, decoded: Bool = false) {
        self.imagePath = imagePath
        self.expected = expected
        self.actual = actual
        self.decoded = decoded
    }

    public var message: String {
        let name = expected.algorithm.rawValue.uppercased()
        let what = expected.implantedMD5Length == nil ? "the image \(expected.source) describes" : "the image its \(expected.source) describes"
        let bytes = decoded ? "the decoded image of \(imagePath)" : imagePath
        // The line's own name, where it is not the file's: the decoded image's, a renamed download's.
        let line = expected.lineName.flatMap { $0 == ChecksumFile.baseName(imagePath) ? nil : " (its line for \($0))" } ?? ""
        return """
            checksum mismatch: \(bytes) is not \(what)\(line)
              expected \(name) \(expected.hex)
              actual   \(name) \(actual)\(decoded ? " (of the decoded image)" : "")
            """
    }

    public var hint: String? { "The download is corrupt or is a different file: download it again." }

    public var exitStatus: ExitStatus { .mismatch }
}
