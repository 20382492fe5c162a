import Foundation

/// An image compressed with the real tools, as vendors ship them: `IMAGE.gz` (gzip), `IMAGE.xz`
/// (xz with several blocks, as `xz -T0` makes them) and `IMAGE.zst` (zstd, its size in the frame
/// header), plus `IMAGE.stream.zst` (zstd from a pipe: no size stated).
public struct CompressedImages: Sendable {
    public let original: String
    public let gzip: String
    public let xz: String
    public let zstd: String
    public let zstdStream: String

    /// Compresses `image` into `directory`.
    public static func make(from image: String, in directory: URL) throws -> CompressedImages {
        let name = URL(fileURLWithPath: image).lastPathComponent
        let base = directory.appendingPathComponent(name).path
        try Shell.bash("""
            cp '\(image)' '\(base)'
            gzip -kc '\(base)' > '\(base).gz'
            xz -kc -T2 --block-size=256KiB '\(base)' > '\(base).xz'
            zstd -qkc '\(base)' > '\(base).zst'
            zstd -qc < '\(base)' > '\(base).stream.zst'
            """)
        return CompressedImages(original: base, gzip: base + ".gz", xz: base + ".xz", zstd: base + ".zst",
                                zstdStream: base + ".stream.zst")
    }

    public var all: [String] { [gzip, xz, zstd, zstdStream] }

    /// A copy of `path` cut to its first `length` bytes.
    public static func truncated(_ path: String, to length: Int, as copy: String) throws -> String {
        try Shell.bash("head -c \(length) '\(path)' > '\(copy)'")
        return copy
    }

    /// A copy of `path` with the byte at `offset` inverted.
    public static func corrupted(_ path: String, at offset: Int, as copy: String) throws -> String {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[offset] ^= 0xFF
        try data.write(to: URL(fileURLWithPath: copy))
        return copy
    }

    /// A copy of `path` with `garbage` appended.
    public static func withTrailing(_ garbage: String, after path: String, as copy: String) throws -> String {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data.append(Data(garbage.utf8))
        try data.write(to: URL(fileURLWithPath: copy))
        return copy
    }
}
