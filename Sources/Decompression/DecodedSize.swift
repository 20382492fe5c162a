import CLzma
import CZstd
import FileIO
#if canImport(Glibc)
import Glibc
#endif

/// The decompressed length a compressed file states before it is decoded: an xz stream's index (at
/// its end), the content sizes in the headers of every zstd frame. nil where the file does not say
/// (gzip, a zstd frame written from a pipe, several xz streams): the image is then written as it
/// comes. Only what the format guarantees is used; a wrong statement fails the decoder later.
public enum DecodedSize {
    public static func of(_ file: OpenFile, format: CompressionFormat) -> Int64? {
        switch format {
        case .gzip: nil   // ISIZE is the length modulo 4 GiB, of the last member only
        case .xz: xzIndex(file)?.decodedBytes
        case .zstd: zstdFrames(file)
        }
    }

    /// What an xz file's index says.
    public struct XzIndex: Sendable, Equatable {
        public var decodedBytes: Int64
        public var blocks: Int
    }

    /// Reads the stream footer, then the index before it. nil unless the file is one stream (with
    /// optional padding) whose index accounts for every byte of it.
    public static func xzIndex(_ file: OpenFile) -> XzIndex? {
        var end = file.size
        // Stream padding: zeros, in multiples of four bytes, after the footer.
        while end >= 4, let word = try? file.read(offset: end - 4, count: 4), word == [0, 0, 0, 0] { end -= 4 }
        guard end >= 24, let footer = try? file.read(offset: end - 12, count: 12), footer.count == 12,
              footer[10] == 0x59, footer[11] == 0x5A else { return nil }
        let stored = UInt32(footer[4]) | UInt32(footer[5]) << 8 | UInt32(footer[6]) << 16 | UInt32(footer[7]) << 24
        let backwardSize = (Int64(stored) + 1) * 4
        let indexStart = end - 12 - backwardSize
        guard indexStart >= 12, backwardSize <= 64 << 20,
              let bytes = try? file.read(offset: indexStart, count: Int(backwardSize)), bytes.count == backwardSize else { return nil }
        var index: OpaquePointer?
        var limit = UInt64.max
        var position = 0
        let status = bytes.withUnsafeBufferPointer {
            lzma_index_buffer_decode(&index, &limit, nil, $0.baseAddress, &position, $0.count)
        }
        guard status == LZMA_OK, let index else { return nil }
        defer { lzma_index_end(index, nil) }
        guard Int64(lzma_index_stream_size(index)) == end else { return nil }  // more than one stream
        return XzIndex(decodedBytes: Int64(lzma_index_uncompressed_size(index)), blocks: Int(lzma_index_block_count(index)))
    }

    /// Sums the content sizes of the frames, walking from frame to frame through the file mapped
    /// read-only (only the frame and block headers are touched).
    static func zstdFrames(_ file: OpenFile) -> Int64? {
        guard file.size > 0, let mapped = mmap(nil, Int(file.size), PROT_READ, MAP_PRIVATE, file.descriptor, 0),
              mapped != MAP_FAILED else { return nil }
        defer { munmap(mapped, Int(file.size)) }
        var offset = 0
        var total: Int64 = 0
        let length = Int(file.size)
        while offset < length {
            let frame = mapped + offset
            let content = ZSTD_getFrameContentSize(frame, length - offset)
            // Neither ZSTD_CONTENTSIZE_UNKNOWN (all ones) nor ZSTD_CONTENTSIZE_ERROR (all ones but one).
            guard content < UInt64.max - 1 else { return nil }
            let compressed = ZSTD_findFrameCompressedSize(frame, length - offset)
            guard ZSTD_isError(compressed) == 0, compressed > 0 else { return nil }
            total += Int64(content)
            offset += compressed
        }
        return total
    }
}
