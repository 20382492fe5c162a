/// The compressed formats an image may come in, told apart by their magic bytes (never by the file
/// name: a renamed download is still what its bytes say).
public enum CompressionFormat: String, Sendable, Codable, CaseIterable {
    case gzip, xz, zstd

    /// The format whose magic `prefix` (the file's first bytes, at least 6) starts with; nil for
    /// anything else (an ISO, a raw disk image).
    public static func detect(_ prefix: some Collection<UInt8>) -> CompressionFormat? {
        let head = Array(prefix.prefix(6))
        if head.starts(with: [0x1F, 0x8B]) { return .gzip }
        if head.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return .xz }
        if head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        return nil
    }

    /// How the tools that make and unpack it are named in messages.
    public var toolName: String { rawValue }
}
