import EdgeCore
import FileIO
import ISOVerify

/// SHA-256 of a device's leading bytes, for several lengths at once: one O_DIRECT pass up to the
/// longest, each length with its own bytes in place of the device's where its overlay says so
/// (the tables as the image had them before an injection or a finish). `check` hashes the lengths of the
/// images the flash log names, so a stick is named in one read whatever the log holds. A region
/// with ranges (a write that followed a bmap) is digested in those ranges only (`RangesDigest`).
enum RegionHash {
    struct Region: Sendable {
        var length: Int64
        var overlay: [DiskWrite]
        /// Only these bytes are digested; nil for all of them.
        var ranges: [Range<Int64>]? = nil
    }

    /// A region's digest as its bytes come, in order.
    private enum Digest {
        case whole(StreamingHash)
        case mapped(RangesDigest)

        init(_ region: Region) {
            self = region.ranges.map { .mapped(RangesDigest(ranges: $0)) } ?? .whole(StreamingHash(.sha256))
        }

        mutating func update(_ bytes: UnsafeRawBufferPointer, at offset: Int64) {
            switch self {
            case .whole(var hash): hash.update(bytes); self = .whole(hash)
            case .mapped(var digest): digest.update(bytes, at: offset); self = .mapped(digest)
            }
        }

        func finalizeHex() -> String {
            switch self {
            case .whole(let hash): hash.finalizeHex()
            case .mapped(let digest): digest.finalizeHex()
            }
        }
    }

    /// The hex digests, in the order of `regions`.
    static func sha256(of device: BlockDevice, regions: [Region], cancel: CancellationFlag,
                       progress: @escaping (WriteProgress) -> Void) throws -> [String] {
        guard let longest = regions.map(\.length).max(), longest > 0 else { return regions.map { Digest($0).finalizeHex() } }
        let plan = try WritePlan(imageSize: longest, deviceSize: device.size, sectorSize: device.logicalSectorSize)
        device.dropCaches()
        var hashes = regions.map(Digest.init)
        let done = ProgressCounter(phase: .checksum, total: longest, report: progress)
        try BufferPipeline.forEach(segments: plan.segmentCount, bufferSize: plan.chunkSize, depth: 3, cancel: cancel,
            produce: { index, buffer in
                let range = plan.segment(index)
                let padded = Int(plan.paddedLength(Int64(range.count)))
                let got = try device.read(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: padded), at: range.lowerBound)
                guard got >= range.count else {
                    throw EdgeError(.io, "\(device.path) ended at byte \(range.lowerBound + Int64(got)), before \(longest) bytes could be read")
                }
                buffer.count = Int(range.count)
            },
            consume: { index, buffer in
                let range = plan.segment(index)
                for (i, region) in regions.enumerated() where range.lowerBound < region.length {
                    let part = range.lowerBound..<min(range.upperBound, region.length)
                    let bytes = buffer.bytes(upTo: part.count)
                    let patches = region.overlay.compactMap { $0.clipped(to: part) }
                    if patches.isEmpty {
                        hashes[i].update(bytes, at: part.lowerBound)
                    } else {
                        DiskWrite(offset: part.lowerBound, bytes: [UInt8](bytes)).patched(with: patches).bytes.withUnsafeBytes {
                            hashes[i].update($0, at: part.lowerBound)
                        }
                    }
                }
                done.add(Int64(range.count))
            })
        return hashes.map { $0.finalizeHex() }
    }
}
