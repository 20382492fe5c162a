import EdgeCore

/// The image's hash is not the one its checksum file (or --sha256/--sha512) names.
public struct ChecksumMismatchError: EdgeFlashError, Equatable {
    public let imagePath: String
    public let expected: ExpectedChecksum
    public let actual: String

    public init(imagePath: String, expected: ExpectedChecksum, actual: String) {
        self.imagePath = imagePath
        self.expected = expected
        self.actual = actual
    }

    public var message: String {
        let name = expected.algorithm.rawValue.uppercased()
        let what = expected.implantedMD5Length == nil ? "the image \(expected.source) describes" : "the image its \(expected.source) describes"
        return """
            checksum mismatch: \(imagePath) is not \(what)
              expected \(name) \(expected.hex)
              actual   \(name) \(actual)
            """
    }

    public var hint: String? { "The download is corrupt or is a different file: download it again." }

    public var exitStatus: ExitStatus { .mismatch }
}
