import CLzma
import CZstd
import FileIO
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The decompressed length a compressed file states before it is decoded: an xz stream's index (at
/// its end), the content sizes in the headers of every zstd frame. nil where the file does not say
/// (gzip, a zstd frame written from a pipe): the image is then written as it
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
        let walk = zstdWalk(file)
        let size: Int64? = if case .stated(let total) = walk { total } else { nil }
        // A read that failed (a network share's hiccup) may not fail the next time.
        if case .unreadable = walk { return nil }
        zstdSizes.withLock { $0[version] = size }
        return size
    }

    /// What an xz file's index says.
    public struct XzIndex: Sendable, Equatable {
        public var decodedBytes: Int64
        public var blocks: Int
    }

    /// Reads the streams' footers and indexes back from the file's end. nil unless they account
    /// for every byte of it: streams one after another, each with optional padding after it.
    public static func xzIndex(_ file: OpenFile) -> XzIndex? {
        withXzIndex(file) { XzIndex(decodedBytes: Int64(lzma_index_uncompressed_size($0)), blocks: Int(lzma_index_block_count($0))) }
    }

    /// Runs `body` over liblzma's decoded index of `file`, every stream's joined (freed after);
    /// nil where `xzIndex` is.
    static func withXzIndex<Result>(_ file: OpenFile, _ body: (OpaquePointer) -> Result?) -> Result? {
        guard case .index(let index) = xzStreams(file) else { return nil }
        defer { lzma_index_end(index, nil) }
        return body(index)
    }

    /// What walking an xz file's streams back from its end found.
    enum XzStreams {
        /// Every byte accounted for: the streams' indexes joined in file order (the caller frees it).
        case index(OpaquePointer)
        /// A footer, index or stream header missing or damaged where the format puts one.
        case damaged(DecodeFailure.Kind, reason: String, offset: Int64)
        /// Nothing wrong seen, but more than edgeflash reads (a huge index, a newer format).
        case unread
    }

    /// Walks the streams as `xz -l` does: padding (zeros, in multiples of four bytes), the footer
    /// before it, the index the footer points to, the stream header the index's size leads back
    /// to (its flags the footer's), then the stream before that one, until the file's start.
    static func xzStreams(_ file: OpenFile) -> XzStreams {
        var end = file.size
        // The indexes of the streams from `end` on, the last stream's first. They are joined once
        // every stream was found, front to back: lzma_index_cat walks the index it appends, so
        // appending one stream at a time keeps the join linear.
        var found: [OpaquePointer] = []
        var memory: UInt64 = 0
        func release() { for index in found { lzma_index_end(index, nil) } }
        func damaged(_ kind: DecodeFailure.Kind, _ reason: String, _ offset: Int64) -> XzStreams {
            release()
            return .damaged(kind, reason: reason, offset: offset)
        }
        func unread() -> XzStreams {
            release()
            return .unread
        }
        repeat {
            var padding: Int64 = 0
            while end >= 4, let word = try? file.read(offset: end - 4, count: 4), word == [0, 0, 0, 0] { end -= 4; padding += 4 }
            var footer = lzma_stream_flags()
            let footerStatus = end >= 24 ? (try? file.read(offset: end - 12, count: 12)).flatMap {
                $0.count == 12 ? lzma_stream_footer_decode(&footer, $0) : nil
            } : LZMA_FORMAT_ERROR
            switch footerStatus {
            case LZMA_OK: break
            case LZMA_OPTIONS_ERROR: return unread()
            case LZMA_DATA_ERROR: return damaged(.corrupt, "the xz stream footer before byte offset \(end) is damaged (its CRC32 does not match)", end - 12)
            default:
                if found.isEmpty, let streamEnd = appendedTo(end, in: file) {
                    return damaged(.trailingGarbage, "bytes that are not an xz stream follow the xz stream", streamEnd)
                }
                return found.isEmpty ? damaged(.truncated, "no xz stream footer at its end", file.size)
                    : damaged(.corrupt, "no xz stream footer ends at byte offset \(end), before the stream that starts there", end)
            }
            let indexSize = Int64(footer.backward_size)
            let indexStart = end - 12 - indexSize
            guard indexStart >= 12 else {
                return damaged(.corrupt, "the xz stream footer before byte offset \(end) gives an index longer than the file before it", end - 12)
            }
            guard indexSize <= 64 << 20, let bytes = try? file.read(offset: indexStart, count: Int(indexSize)), bytes.count == indexSize
            else { return unread() }
            var decoded: OpaquePointer?
            var limit: UInt64 = 256 << 20  // a hostile index could ask for more; a real one needs a few MiB
            var position = 0
            let status = bytes.withUnsafeBufferPointer {
                lzma_index_buffer_decode(&decoded, &limit, nil, $0.baseAddress, &position, $0.count)
            }
            guard status == LZMA_OK, let index = decoded else {
                if status == LZMA_MEMLIMIT_ERROR { return unread() }
                return damaged(.corrupt, "the xz index at byte offset \(indexStart) is damaged", indexStart)
            }
            let streamBytes = Int64(clamping: lzma_index_stream_size(index))
            let streamStart = end - streamBytes
            var header = lzma_stream_flags()
            guard streamStart >= 0, let headerBytes = try? file.read(offset: streamStart, count: 12), headerBytes.count == 12,
                  lzma_stream_header_decode(&header, headerBytes) == LZMA_OK, lzma_stream_flags_compare(&header, &footer) == LZMA_OK
            else {
                lzma_index_end(index, nil)
                return damaged(.corrupt, "the xz index at byte offset \(indexStart) describes a stream of \(streamBytes) bytes, and no stream header matching its footer starts that far back", indexStart)
            }
            lzma_index_stream_flags(index, &footer)
            lzma_index_stream_padding(index, UInt64(padding))
            found.append(index)
            memory += lzma_index_memused(index)
            // A hostile file of many tiny streams: more than any image is made of.
            guard memory <= 256 << 20, found.count <= Self.mostXzStreams else { return unread() }
            end = streamStart
        } while end > 0
        var joined = found.removeLast()
        while let next = found.popLast() {
            guard lzma_index_cat(joined, next, nil) == LZMA_OK else {
                lzma_index_end(next, nil)
                lzma_index_end(joined, nil)
                return unread()
            }
        }
        return .index(joined)
    }

    /// For a file whose end holds no stream footer: where a whole stream ends, within the last MiB
    /// before `end`, when what follows it starts no other stream (a newline or a signature
    /// appended: trailing garbage, not a file cut short); nil otherwise.
    private static func appendedTo(_ end: Int64, in file: OpenFile) -> Int64? {
        let window = Int(min(end, 1 << 20))
        guard let tail = try? file.read(offset: end - Int64(window), count: window), tail.count == window else { return nil }
        let streamMagic: [UInt8] = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]
        for position in stride(from: window - 1, through: 12, by: -1) where tail[position - 2] == 0x59 && tail[position - 1] == 0x5A {
            var flags = lzma_stream_flags()
            guard lzma_stream_footer_decode(&flags, Array(tail[(position - 12)..<position])) == LZMA_OK else { continue }
            var next = position
            while next + 4 <= window, tail[next..<(next + 4)].allSatisfy({ $0 == 0 }) { next += 4 }  // stream padding
            return tail[next...].starts(with: streamMagic.prefix(window - next)) ? nil : end - Int64(window) + Int64(position)
        }
        return nil
    }

    /// xz -T0 makes one stream; `cat` of a few makes a few.
    public static let mostXzStreams = 10_000

    /// Sums the content sizes of the frames; nil unless every frame states one.
    static func zstdFrames(_ file: OpenFile) -> Int64? {
        if case .stated(let total) = zstdWalk(file) { total } else { nil }
    }

    /// What walking a zstd file's frames found.
    enum ZstdFrames {
        case stated(Int64)
        /// A frame states no content size (or one no file could have).
        case unstated
        /// A read of the file failed.
        case unreadable
        /// A frame that runs past the file's end, or a header or block that cannot be one.
        case damaged(DecodeFailure.Kind, reason: String, offset: Int64)
    }

    /// Walks from frame to frame and block to block by their headers (3 bytes read per block of
    /// up to 128 KiB: the file is not read, nor mapped), to the file's end.
    static func zstdWalk(_ file: OpenFile) -> ZstdFrames {
        var offset: Int64 = 0
        var total: Int64? = 0  // nil once a frame states no size
        while offset < file.size {
            let frameStart = offset
            func cut(_ what: String) -> ZstdFrames {
                .damaged(.truncated, reason: "the zstd frame at byte offset \(frameStart)\(what) runs past the file's end", offset: file.size)
            }
            guard let head = try? file.read(offset: offset, count: 18) else { return .unreadable }
            guard head.count >= 8 else { return cut("") }
            if CompressionFormat.startsWithSkippableFrame(head) {  // 4-byte length, no content
                offset += 8 + Int64(UInt32(head[4]) | UInt32(head[5]) << 8 | UInt32(head[6]) << 16 | UInt32(head[7]) << 24)
                if offset > file.size { return cut("") }
                continue
            }
            guard head.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) else {
                return .damaged(.trailingGarbage, reason: "bytes that are not a zstd frame follow the zstd stream", offset: offset)
            }
            // The header's length from its descriptor byte (RFC 8878, 3.1.1.1): magic, descriptor,
            // window (unless single-segment), dictionary ID, content size.
            let descriptor = head[4]
            let singleSegment = descriptor & 0x20 != 0
            let contentSizeBytes: Int64 = [singleSegment ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
            let dictionaryBytes: Int64 = [0, 1, 2, 4][Int(descriptor & 3)]
            let hasChecksum = descriptor & 0x04 != 0
            let headerBytes = 5 + (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes
            guard head.count >= headerBytes else { return cut("") }
            let content = head.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
            guard content != UInt64.max - 1 else {  // ZSTD_CONTENTSIZE_ERROR
                return .damaged(.corrupt, reason: "the zstd frame header at byte offset \(offset) is not valid", offset: offset)
            }
            // Not ZSTD_CONTENTSIZE_UNKNOWN (all ones); past Int64.max is no size a file could have.
            let stated = content < UInt64.max && content <= UInt64(Int64.max) ? Int64(content) : nil
            let says = stated.map { ", which states \($0) bytes," } ?? ""
            offset += headerBytes
            while true {  // blocks: last flag, type (raw, RLE, compressed, reserved), size
                guard let block = try? file.read(offset: offset, count: 3) else { return .unreadable }
                guard block.count == 3 else { return cut(says) }
                let word = UInt32(block[0]) | UInt32(block[1]) << 8 | UInt32(block[2]) << 16
                let type = (word >> 1) & 3
                guard type != 3 else {
                    return .damaged(.corrupt, reason: "the zstd block header at byte offset \(offset) is of the reserved type", offset: offset)
                }
                offset += 3 + (type == 1 ? 1 : Int64(word >> 3))
                if offset > file.size { return cut(says) }
                if word & 1 == 1 { break }
            }
            if hasChecksum { offset += 4 }
            if offset > file.size { return cut(says) }
            if let sum = total, let stated {
                let (next, overflow) = sum.addingReportingOverflow(stated)
                total = overflow ? nil : next
            } else {
                total = nil
            }
        }
        return total.map { .stated($0) } ?? .unstated
    }
}
