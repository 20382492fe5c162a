import Crypto
import Foundation

/// The `.sha256` file the Edge build writes beside the ISO, in GNU coreutils format so
/// `sha256sum -c` accepts it: 64 lowercase hex digits, two spaces, the bare file name, newline.
public enum ChecksumFile {
    public static func line(hex: String, fileName: String) -> String { "\(hex)  \(fileName)\n" }

    /// SHA-256 of a file, read in 4 MiB chunks.
    public static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
