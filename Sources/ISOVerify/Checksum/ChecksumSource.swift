import Foundation

/// Where the image's expected checksum comes from: a hash given on the command line, a checksum
/// file named by the user, or whatever `ChecksumDiscovery` finds beside the image.
public enum ChecksumSource: Sendable, Equatable {
    case given(ExpectedChecksum)
    case file(String)
    case beside

    /// The checksum the image must have: given, named, or found beside it; else the MD5 implanted
    /// in the image's primary volume descriptor; nil when there is none (an unverified image).
    /// A compressed image's checksum may be over its stored or its decompressed bytes
    /// (`CompressedImageChecksum`).
    public func expected(forImage imagePath: String) throws -> ExpectedChecksum? {
        let image = URL(fileURLWithPath: imagePath)
        if try ImageFileAccess.compression(of: imagePath) != nil {
            return try CompressedImageChecksum.expected(self, image: image)
        }
        switch self {
        case .given(let expected): return expected
        case .file(let path): return try ChecksumDiscovery.load(checksumFile: URL(fileURLWithPath: path), forImage: image)
        case .beside: return try ChecksumDiscovery.find(forImage: image) ?? ImplantedMD5.checksum(forImage: image)
        }
    }

    /// How an image without a checksum is described: never as a pass.
    public static func unverifiedNotice(imagePath: String) -> String {
        let name = URL(fileURLWithPath: imagePath).lastPathComponent
        let compressed = ((try? ImageFileAccess.compression(of: imagePath)) ?? nil) != nil
        let decodedName = compressed ? CompressedImageChecksum.decompressedName(of: name) : nil
        let looked = ChecksumDiscovery.candidateNames(forImageNamed: name, decodedName: decodedName).joined(separator: ", ")
        return "unverified image: no checksum for \(name) (looked for \(looked) beside it; or pass --sha256/--checksum)"
    }
}
