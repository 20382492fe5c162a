import EdgeCore
import FileIO

/// The decompressed bytes of a compressed file at any offset, for `inspect` and the write's ISO
/// checks, which read a few structures near the image's start (descriptors, boot catalog, tables).
/// Decodes forward as far as a read needs, keeps the last `cachedBlocks` MiB it decoded, and starts
/// decoding again from the file's start only for a read behind them. Only the first `readableBytes`
/// are decoded: a read past them (a backup GPT at a disk image's end, an offset taken from junk)
/// finds nothing, rather than decoding the whole stream, perhaps several times. Owns no
/// descriptor: `file` stays its owner's.
public final class DecodedView: ImageBytes {
    public let file: OpenFile
    public let format: CompressionFormat
    /// The decompressed length when the file states it (`DecodedSize`).
    public let statedSize: Int64?
    private var stream: DecodedStream
    /// Decoded 1 MiB blocks by index, with the order they were last used in.
    private var blocks: [Int64: [UInt8]] = [:]
    private var recent: [Int64] = []
    private var nextBlock: Int64 = 0
    private var endBlock: Int64?   // the block where the stream ended (short or empty)

    static let blockSize = 1 << 20
    static let cachedBlocks = 8
    public static let readableBytes: Int64 = 64 << 20
    /// The size given for a stream that does not state its length: no structure read is refused as
    /// lying beyond the image's end (the write finds the real end when it gets there).
    public static let unstatedSize = Int64(1) << 50

    public init(file: OpenFile, format: CompressionFormat) throws {
        self.file = file
        self.format = format
        statedSize = DecodedSize.of(file, format: format)
        stream = try DecodedStream(file: file, format: format, threads: 1)
    }

    public var path: String { file.path }
    public var size: Int64 { statedSize ?? Self.unstatedSize }

    public func read(offset: Int64, count: Int) throws -> [UInt8] {
        guard count > 0, offset >= 0 else { return [] }
        var bytes: [UInt8] = []
        var position = offset
        let end = offset + Int64(count)
        while position < min(end, Self.readableBytes) {
            let index = position / Int64(Self.blockSize)
            let block = try self.block(index)
            let start = Int(position - index * Int64(Self.blockSize))
            guard start < block.count else { break }
            let take = min(block.count - start, Int(end - position))
            bytes += block[start..<(start + take)]
            position += Int64(take)
            if block.count < Self.blockSize { break }
        }
        return bytes
    }

    private func block(_ index: Int64) throws -> [UInt8] {
        if let cached = blocks[index] {
            recent.removeAll { $0 == index }
            recent.append(index)
            return cached
        }
        if let endBlock, index > endBlock { return [] }
        if index < nextBlock {
            stream = try DecodedStream(file: file, format: format, threads: 1)
            nextBlock = 0
        }
        var block = [UInt8]()
        while nextBlock <= index {
            block = [UInt8](repeating: 0, count: Self.blockSize)
            let got = try block.withUnsafeMutableBytes { try stream.read(into: $0) }
            block.removeSubrange(got...)
            remember(nextBlock, block)
            if got < Self.blockSize {
                endBlock = nextBlock
                if nextBlock < index { return [] }
            }
            nextBlock += 1
        }
        return block
    }

    private func remember(_ index: Int64, _ block: [UInt8]) {
        blocks[index] = block
        recent.append(index)
        if recent.count > Self.cachedBlocks { blocks[recent.removeFirst()] = nil }
    }
}
