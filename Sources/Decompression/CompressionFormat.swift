/// The compressed formats an image may come in, told apart by their magic bytes (never by the file
/// name: a renamed download is still what its bytes say).
public enum CompressionFormat: String, Sendable, Codable, CaseIterable {
    case gzip, xz, zstd

    /// The format whose magic `prefix` (the file's first bytes, at least 6) starts with; nil for
    /// anything else (an ISO, a raw disk image). A zstd file may start with a skippable frame
    /// (pzstd puts one before every frame); lz4 shares that magic, so what follows the skippable
    /// frames decides (`ImageContent` looks there before an image is read).
    public static func detect(_ prefix: some Collection<UInt8>) -> CompressionFormat? {
        let head = Array(prefix.prefix(6))
        if head.starts(with: [0x1F, 0x8B]) { return .gzip }
        if head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        if startsWithSkippableFrame(head) { return .zstd }
        return nil
    }

    /// A zstd (and lz4) skippable frame's magic: 0x184D2A50 to 0x184D2A5F, little-endian, followed
    /// by a 4-byte length and that many bytes of no content.
    public static func startsWithSkippableFrame(_ bytes: some Collection<UInt8>) -> Bool {
        let head = Array(bytes.prefix(4))
        return head.count == 4 && head[0] & 0xF0 == 0x50 && head[1] == 0x2A && head[2] == 0x4D && head[3] == 0x18
    }

    /// How the tools that make and unpack it are named in messages.
    public var toolName: String { rawValue }

    /// The command that decompresses `path` beside it, as a hint says it (zstd without its window
    /// bound: a file made with --long needs that).
    public func decompressCommand(_ path: String) -> String {
        switch self {
        case .gzip: "gzip -dk \(path)"
        case .xz: "xz -dk \(path)"
        case .zstd: "zstd -d --long=31 \(path)"
        }
    }
}
