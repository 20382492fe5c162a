import Foundation
import EdgeCore
import FileIO

/// The decompressed bytes of a compressed file, read front to back: the file is read in 1 MiB
/// pieces, handed to the format's decoder, and every compressed byte is shown to `observeInput` as
/// it is read (a checksum of the compressed file is taken while decoding, not in a pass of its
/// own). Corrupt, truncated or trailing data fails as `.malformed`, naming the byte offset in the
/// compressed file. One thread at a time; the file stays its owner's to close.
public final class DecodedStream {
    public let format: CompressionFormat
    public let file: OpenFile
    private let decoder: any StreamDecoder
    private let input: UnsafeMutableRawBufferPointer
    /// The bytes of `input` read but not yet consumed.
    private var pending: Range<Int> = 0..<0
    /// Where the next read of the compressed file starts.
    private var readOffset: Int64 = 0
    /// Compressed bytes the decoder has consumed: the offset an error names.
    private var consumedOffset: Int64 = 0
    private var finished = false
    private let observeInput: ((UnsafeRawBufferPointer) -> Void)?
    /// Decompressed bytes handed out so far.
    public private(set) var decodedBytes: Int64 = 0

    static let inputSize = 1 << 20

    /// `threads` and `memoryLimit` bound xz's multi-threaded decoder (the others use one thread).
    public init(file: OpenFile, format: CompressionFormat, threads: Int = DecodedStream.defaultThreads,
                memoryLimit: UInt64 = DecodedStream.defaultMemoryLimit,
                observeInput: ((UnsafeRawBufferPointer) -> Void)? = nil) throws {
        self.file = file
        self.format = format
        self.observeInput = observeInput
        do {
            switch format {
            case .gzip: decoder = try GzipDecoder()
            case .xz: decoder = try XzDecoder(threads: threads, memoryLimit: memoryLimit)
            case .zstd: decoder = try ZstdDecoder()
            }
        } catch {
            throw EdgeError(.failure, "\(file.path): \(error.reason)")
        }
        input = .allocate(byteCount: Self.inputSize, alignment: 16)
        file.adviseSequential()
    }

    deinit {
        decoder.end()
        input.deallocate()
    }

    /// Decoder threads: one per CPU, at most 4 (the writer's own threads need little CPU).
    public static var defaultThreads: Int { min(4, ProcessInfo.processInfo.activeProcessorCount) }
    /// What xz's threads may use together before fewer are started: the write's memory bound (64 MiB
    /// peak RSS, its I/O buffers included) leaves this much to the decoder. Two threads on the
    /// blocks `xz -T0 -2` makes (6 MiB) fit; `-6`'s 24 MiB blocks get one.
    public static let defaultMemoryLimit: UInt64 = 24 << 20

    /// Fills `buffer` with the next decompressed bytes; fewer only where the stream ends.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count && !finished {
            var inputEnded = false
            if pending.isEmpty || (pending.count < 16 && readOffset < file.size) {
                inputEnded = try refill()
            } else {
                inputEnded = readOffset >= file.size
            }
            let output = UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])
            let step: DecodeStep
            do {
                step = try decoder.decode(UnsafeRawBufferPointer(rebasing: input[pending]), into: output, inputEnded: inputEnded)
            } catch {
                throw failure(error, decoded: decodedBytes + Int64(filled))
            }
            pending = (pending.lowerBound + step.consumed)..<pending.upperBound
            consumedOffset += Int64(step.consumed)
            filled += step.produced
            finished = step.finished
            if !finished && step.consumed == 0 && step.produced == 0 && inputEnded {
                throw failure(DecodeFailure(kind: .truncated, reason: "the \(format.toolName) stream ends early", consumed: 0),
                              decoded: decodedBytes + Int64(filled))
            }
        }
        decodedBytes += Int64(filled)
        return filled
    }

    /// Reads the stream to its end, so the decoder checks all of it (every block's check, the
    /// index, what follows the last frame), showing the decoded bytes to `observe`. Returns the
    /// decoded length; `progress` is told the compressed bytes read so far.
    public func readToEnd(observe: ((UnsafeRawBufferPointer) -> Void)? = nil, progress: ((Int64) -> Void)? = nil) throws -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.inputSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let got = try read(into: buffer)
            observe?(UnsafeRawBufferPointer(rebasing: buffer[..<got]))
            progress?(readOffset)
            if got < buffer.count { return decodedBytes }
        }
    }

    /// Moves the unconsumed bytes to the front and reads more of the file after them. Returns
    /// whether the file's end was reached.
    private func refill() throws -> Bool {
        let kept = pending.count
        if kept > 0, pending.lowerBound > 0 {
            input.baseAddress!.copyMemory(from: input.baseAddress! + pending.lowerBound, byteCount: kept)
        }
        let space = UnsafeMutableRawBufferPointer(rebasing: input[kept...])
        let got = try file.read(into: space, at: readOffset)
        if got > 0 { observeInput?(UnsafeRawBufferPointer(rebasing: space.prefix(got))) }
        readOffset += Int64(got)
        pending = 0..<(kept + got)
        return got < space.count || readOffset >= file.size
    }

    /// `decoded`: the bytes handed out before the failure (where a damaged xz block is looked for).
    private func failure(_ failure: DecodeFailure, decoded: Int64) -> EdgeError {
        let offset = consumedOffset + Int64(failure.consumed)
        // The threaded xz decoder's offset depends on how far its threads had read: name the
        // damaged block instead, the same on every run.
        if failure.kind == .corrupt, format == .xz, let block = XzDamagedBlock.find(in: file, decodedBytes: decoded) {
            return EdgeError(.malformed, "\(file.path) is corrupt: \(failure.reason) in the xz block at byte offset \(block.compressedOffset) of the compressed file (block \(block.number) of \(block.count), bytes \(block.decodedRange.lowerBound) to \(block.decodedRange.upperBound) of the image)",
                             hint: "The download is damaged: fetch it again.")
        }
        let place = failure.inPreviousBytes.map { "between byte offsets \(consumedOffset - Int64($0)) and \(offset)" } ?? "at byte offset \(offset)"
        return Self.error(failure.kind, failure.reason, place: place, file: file, format: format)
    }

    /// The words of a decode failure, `place` in the compressed file ("at byte offset N", or a
    /// range): the decoder's and what a look at the file's end found (`DecodedSize.damage`).
    static func error(_ kind: DecodeFailure.Kind, _ reason: String, place: String, file: OpenFile, format: CompressionFormat) -> EdgeError {
        let name = format.toolName
        switch kind {
        case .truncated:
            return EdgeError(.malformed, "\(file.path) is truncated: the \(name) data ends \(place) of the compressed file, before the stream does (\(reason))",
                             hint: "The download or copy is incomplete: fetch it again.")
        case .trailingGarbage:
            return EdgeError(.malformed, "\(file.path) has trailing garbage \(place) of the compressed file: \(reason)",
                             hint: "The file is damaged or not one \(name) stream: fetch it again, or cut what follows the stream.")
        case .needsMemory:
            return EdgeError(.refused, "\(file.path) cannot be decompressed within edgeflash's memory bound: \(reason)",
                             hint: "The file is not damaged. Decompress it first (\(format.decompressCommand(file.path))) and write the decompressed image.")
        case .corrupt:
            return EdgeError(.malformed, "\(file.path) is corrupt: \(reason), found in the \(name) data \(place) of the compressed file",
                             hint: "The download is damaged: fetch it again.")
        }
    }
}
