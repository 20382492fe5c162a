import Decompression
import EdgeCore
import Foundation

/// Which checksum a compressed image (`installer.iso.xz`) is checked against, and over which bytes:
/// one that names the compressed file is over its stored bytes; one for the decompressed name
/// (`installer.iso`), in a checksum file given with --checksum or found beside the image, is over
/// the decompressed image; a file with lines for both names brings both, and both are checked; a
/// digest given with --sha256/--sha512 may be either, so both are computed.
enum CompressedImageChecksum {
    static func expected(_ source: ChecksumSource, image: URL) throws -> ExpectedChecksum? {
        switch source {
        case .given(var expected):
            expected.coverage = .either
            return expected
        case .file(let path):
            return try load(checksumFile: URL(fileURLWithPath: path), image: image)
        case .beside:
            if let found = try ChecksumDiscovery.find(forImage: image, decodedName: decompressedName(of: image.lastPathComponent)) {
                return found
            }
            return try ImplantedMD5.checksum(forImage: image)  // read through the decompressed bytes
        }
    }

    /// The name the image has once decompressed: `installer.iso.xz` → `installer.iso`.
    static func decompressedName(of name: String) -> String? {
        let suffixes = [".gz", ".gzip", ".xz", ".zst", ".zstd"]
        guard let suffix = suffixes.first(where: { name.hasSuffix($0) && name.count > $0.count }) else { return nil }
        return String(name.dropLast(suffix.count))
    }

    private static func load(checksumFile: URL, image: URL) throws -> ExpectedChecksum {
        let fileName = checksumFile.lastPathComponent
        let entries = try ChecksumFile.parse(try ChecksumDiscovery.readChecksumFile(checksumFile), fileName: fileName)
        let stored = image.lastPathComponent
        let decoded = decompressedName(of: stored)
        if let entry = try ChecksumFile.entry(for: stored, in: entries, dedicatedFile: false, file: fileName) {
            return try ExpectedChecksum.line(entry, source: fileName, coverage: .storedFile, decodedName: decoded, entries: entries)
        }
        if let decoded, let entry = try ChecksumFile.entry(for: decoded, in: entries, dedicatedFile: false, file: fileName) {
            return ExpectedChecksum(entry, source: fileName, coverage: .image)
        }
        let dedicated = !(fileName.hasPrefix("SHA256SUMS") || fileName.hasPrefix("SHA512SUMS"))
        if dedicated, entries.count == 1 { return ExpectedChecksum(entries[0], source: fileName, coverage: .either) }
        throw EdgeError(.malformed, "\(fileName) has no entry for \(stored)" + (decoded.map { " or \($0)" } ?? ""),
                        hint: "check the file names, or pass the digest with --sha256/--sha512")
    }
}
