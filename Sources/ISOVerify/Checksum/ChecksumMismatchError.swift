import EdgeCore

/// The image's hash is not the one its checksum file (or --sha256/--sha512) names.
public struct ChecksumMismatchError: EdgeFlashError, Equatable {
    public let imagePath: String
    public let expected: ExpectedChecksum
    public let actual: String
    /// Set when the mismatch was found during a write: the device's first MiB was left zeroed.
    public let devicePath: String?

    public init(imagePath: String, expected: ExpectedChecksum, actual: String, devicePath: String? = nil) {
        self.imagePath = imagePath
        self.expected = expected
        self.actual = actual
        self.devicePath = devicePath
    }

    public var message: String {
        let name = expected.algorithm.rawValue.uppercased()
        return """
            checksum mismatch: \(imagePath) is not the image \(expected.source) describes
              expected \(name) \(expected.hex)
              actual   \(name) \(actual)
            """
    }

    public var hint: String? {
        var text = "The download is corrupt or is a different file: download it again."
        if let devicePath {
            text += " \(devicePath) was not made bootable: its first MiB is left blank."
        }
        return text
    }

    public var exitStatus: ExitStatus { .mismatch }
}
