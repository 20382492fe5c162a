import ArgumentParser
import ISOVerify

/// The checksum options shared by `write` and `verify`: an explicit hash, a checksum file, or
/// (neither given) whatever ChecksumDiscovery finds beside the image.
struct ChecksumOptions: ParsableArguments {
    @Option(name: .customLong("checksum"), help: ArgumentHelp(
        "A checksum file (GNU or BSD format: IMAGE.sha256, SHA256SUMS...) to check the image against.",
        valueName: "file"))
    var checksumFile: String?

    @Option(help: ArgumentHelp("The image's expected SHA-256, as 64 hex digits.", valueName: "hex"))
    var sha256: String?

    @Option(help: ArgumentHelp("The image's expected SHA-512, as 128 hex digits.", valueName: "hex"))
    var sha512: String?

    func validate() throws {
        if [checksumFile != nil, sha256 != nil, sha512 != nil].filter({ $0 }).count > 1 {
            throw ValidationError("Give at most one of --checksum, --sha256 and --sha512.")
        }
        if let sha256 { try Self.checkHex(sha256, digits: 64, option: "--sha256") }
        if let sha512 { try Self.checkHex(sha512, digits: 128, option: "--sha512") }
    }

    private static func checkHex(_ text: String, digits: Int, option: String) throws {
        guard text.count == digits, text.allSatisfy(\.isHexDigit) else {
            throw ValidationError("\(option) takes \(digits) hex digits; got \(text.count) characters.")
        }
    }

    /// Where the image's checksum comes from: a hash, a file, or whatever is found beside the image.
    var source: ChecksumSource {
        if let sha256 { return .given(ExpectedChecksum(algorithm: .sha256, hex: sha256, source: "--sha256")) }
        if let sha512 { return .given(ExpectedChecksum(algorithm: .sha512, hex: sha512, source: "--sha512")) }
        if let checksumFile { return .file(checksumFile) }
        return .beside
    }
}
