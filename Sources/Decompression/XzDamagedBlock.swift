import CLzma
import FileIO

/// The block of a multi-block xz file that holds the damage the threaded decoder found. That
/// decoder reads ahead on several threads, so the compressed offset it had reached when it noticed
/// changes from run to run; what it had handed out (everything before the damage) does not. The
/// blocks from the one that output ended in are decoded alone, one thread, in turn, and the first
/// that fails is the damaged one: its place comes from the index, the same on every run.
struct XzDamagedBlock {
    var compressedOffset: Int64
    var decodedRange: Range<Int64>
    var number: Int
    var count: Int

    /// Blocks tried before giving up (the damage lies within the threads' read-ahead).
    static let blocksTried = 16

    /// The damaged block, once `decodedBytes` were handed out (numbered across the file's streams);
    /// nil when the file has no usable index or no block tried fails alone (the damage is then in
    /// an index or a footer).
    static func find(in file: OpenFile, decodedBytes: Int64) -> XzDamagedBlock? {
        DecodedSize.withXzIndex(file) { index -> XzDamagedBlock? in
            var iterator = lzma_index_iter()
            lzma_index_iter_init(&iterator, index)
            // The block the output ended in; at a block's end, that block (its check may be what failed).
            guard lzma_index_iter_locate(&iterator, UInt64(max(0, decodedBytes - 1))) == 0 else { return nil }
            let count = Int(lzma_index_block_count(index))
            for _ in 0..<blocksTried {
                let block = iterator.block
                // The header of the block's stream (a file of several streams has one each).
                guard let header = try? file.read(offset: Int64(iterator.stream.compressed_offset), count: 12), header.count == 12
                else { return nil }
                if !decodesAlone(file, header: header, offset: Int64(block.compressed_file_offset), length: Int64(block.total_size)) {
                    let start = Int64(block.uncompressed_file_offset)
                    return XzDamagedBlock(compressedOffset: Int64(block.compressed_file_offset),
                                          decodedRange: start..<(start + Int64(block.uncompressed_size)),
                                          number: Int(block.number_in_file), count: count)
                }
                if lzma_index_iter_next(&iterator, LZMA_INDEX_ITER_BLOCK) != 0 { return nil }
            }
            return nil
        }
    }

    /// Whether the block at `offset` decodes without an error when it is the only block after the
    /// stream header: its data and its check (the last bytes of its `length`).
    private static func decodesAlone(_ file: OpenFile, header: [UInt8], offset: Int64, length: Int64) -> Bool {
        var stream = lzma_stream()
        guard lzma_stream_decoder(&stream, XzDecoder.memoryLimit, 0) == LZMA_OK else { return true }
        defer { lzma_end(&stream) }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { output.deallocate() }
        var position = offset
        var pending = header
        while true {
            if pending.isEmpty {
                guard position < offset + length,
                      let bytes = try? file.read(offset: position, count: Int(min(1 << 20, offset + length - position))), !bytes.isEmpty
                else { return true }
                position += Int64(bytes.count)
                pending = bytes
            }
            let status = pending.withUnsafeBufferPointer { input -> lzma_ret in
                stream.next_in = input.baseAddress
                stream.avail_in = input.count
                var status = LZMA_OK
                while status == LZMA_OK && (stream.avail_in > 0 || stream.avail_out == 0) {
                    stream.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
                    stream.avail_out = output.count
                    status = lzma_code(&stream, LZMA_RUN)
                }
                return status
            }
            guard status == LZMA_OK || status == LZMA_BUF_ERROR else { return false }
            pending = []
        }
    }
}
