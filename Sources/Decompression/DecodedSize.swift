import CLzma
import CZstd
import FileIO
import Synchronization
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
        case .zstd: zstdFramesOnce(file)
        }
    }

    /// A write asks for a zstd file's size several times (the content check, the inspection views,
    /// the write itself), and each walk is thousands of reads: the answer is kept per version of
    /// the file (device, inode, length, change time) for the life of the process.
    private static let zstdSizes = Mutex<[FileVersion: Int64?]>([:])

    private struct FileVersion: Hashable {
        var device: UInt64, inode: UInt64, size: Int64, changed: Int, changedNanoseconds: Int

        init?(_ file: OpenFile) {
            var info = stat()
            guard fstat(file.descriptor, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            changed = Int(info.st_ctim.tv_sec)
            changedNanoseconds = Int(info.st_ctim.tv_nsec)
        }
    }

    private static func zstdFramesOnce(_ file: OpenFile) -> Int64? {
        guard let version = FileVersion(file) else { return zstdFrames(file) }
        if let known = zstdSizes.withLock({ $0[version] }) { return known }
        let size = zstdFrames(file)
        zstdSizes.withLock { $0[version] = size }
        return size
    }

    /// What an xz file's index says.
    public struct XzIndex: Sendable, Equatable {
        public var decodedBytes: Int64
        public var blocks: Int
    }

    /// Reads the stream footer, then the index before it. nil unless the file is one stream (with
    /// optional padding) whose index accounts for every byte of it.
    public static func xzIndex(_ file: OpenFile) -> XzIndex? {
        withXzIndex(file) { XzIndex(decodedBytes: Int64(lzma_index_uncompressed_size($0)), blocks: Int(lzma_index_block_count($0))) }
    }

    /// Runs `body` over liblzma's decoded index of `file` (freed after); nil where `xzIndex` is.
    static func withXzIndex<Result>(_ file: OpenFile, _ body: (OpaquePointer) -> Result?) -> Result? {
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
        var limit: UInt64 = 256 << 20  // a hostile index could ask for more; a real one needs a few MiB
        var position = 0
        let status = bytes.withUnsafeBufferPointer {
            lzma_index_buffer_decode(&index, &limit, nil, $0.baseAddress, &position, $0.count)
        }
        guard status == LZMA_OK, let index else { return nil }
        defer { lzma_index_end(index, nil) }
        guard Int64(lzma_index_stream_size(index)) == end else { return nil }  // more than one stream
        return body(index)
    }

    /// Sums the content sizes of the frames, walking from frame to frame and block to block by
    /// their headers (3 bytes read per block of up to 128 KiB: the file is not read, nor mapped).
    static func zstdFrames(_ file: OpenFile) -> Int64? {
        var offset: Int64 = 0
        var total: Int64 = 0
        while offset < file.size {
            guard let head = try? file.read(offset: offset, count: 18), head.count >= 8 else { return nil }
            if CompressionFormat.startsWithSkippableFrame(head) {  // 4-byte length, no content
                offset += 8 + Int64(UInt32(head[4]) | UInt32(head[5]) << 8 | UInt32(head[6]) << 16 | UInt32(head[7]) << 24)
                continue
            }
            let content = head.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
            // Neither ZSTD_CONTENTSIZE_UNKNOWN (all ones) nor ZSTD_CONTENTSIZE_ERROR (all ones but one).
            // Past Int64.max is no size a file could have (and would trap below).
            guard content < UInt64.max - 1, content <= UInt64(Int64.max) else { return nil }
            // The header's length from its descriptor byte (RFC 8878, 3.1.1.1): magic, descriptor,
            // window (unless single-segment), dictionary ID, content size.
            let descriptor = head[4]
            let singleSegment = descriptor & 0x20 != 0
            let contentSizeBytes: Int64 = [singleSegment ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
            let dictionaryBytes: Int64 = [0, 1, 2, 4][Int(descriptor & 3)]
            let hasChecksum = descriptor & 0x04 != 0
            offset += 5 + (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes
            while true {  // blocks: last flag, type (raw, RLE, compressed, reserved), size
                guard let block = try? file.read(offset: offset, count: 3), block.count == 3 else { return nil }
                let word = UInt32(block[0]) | UInt32(block[1]) << 8 | UInt32(block[2]) << 16
                let type = (word >> 1) & 3
                guard type != 3 else { return nil }
                offset += 3 + (type == 1 ? 1 : Int64(word >> 3))
                if word & 1 == 1 { break }
            }
            if hasChecksum { offset += 4 }
            let (sum, overflow) = total.addingReportingOverflow(Int64(content))
            guard !overflow else { return nil }
            total = sum
        }
        return offset == file.size ? total : nil
    }
}
