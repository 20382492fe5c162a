import Decompression
import EdgeCore
import Foundation
import FileIO
import ISOVerify

/// `verify --against` and `check --image`: a stick compared with the image file it was written
/// from, as the write left it. The device holds the image's bytes: a compressed file's decoded ones,
/// decoded once, in the same pass (a stream that does not state its length is compared as far as
/// it goes, and its length learned where it ends). Where a user-data injection or a disk image's
/// finish rewrote the tables, the stick must hold exactly what they wrote there, planned again
/// from the image's own tables (`ImageOnDisk`). The image's SHA-256 and the expected checksum's
/// digest are taken in the same pass; the device is read with O_DIRECT. An image written through a
/// bmap (the one `write` would follow: `--bmap`, beside the image, none with `--no-bmap`) is
/// compared in its mapped ranges only: its unmapped blocks are "don't care", and kept what the
/// stick held before.
public struct ImageComparison {
    /// The image's length as written (decoded).
    public var imageSize: Int64
    /// The first byte where the device differs from the image; nil when it does not.
    public var firstDifference: Int64?
    /// The image's SHA-256, decoded: what the flash log names it by; nil for a plain image checked
    /// against a checksum of another kind (a SHA-512, an implanted MD5).
    public var sha256: String?
    /// The checksum, with the coverage it matched (the image, or a compressed file as stored); nil
    /// when none was expected. A mismatch is `checksumMismatch` instead.
    public var matched: ExpectedChecksum?
    public var checksumMismatch: ChecksumMismatchError?
    /// A user-data volume's entry that inject added, found on the stick.
    public var footprint: InjectionFootprint?
    /// Else, a disk image's tables that write finished for this disk.
    public var tables: DiskImageFinish?
    /// The bmap whose ranges alone were compared; nil when every byte was.
    public var map: ImageMap?
    /// The digest of the image's bytes in those ranges (`RangesDigest`), as the flash log names a
    /// write through the bmap.
    public var mappedSHA256: String?

    public static func run(imagePath: String, device: BlockDevice, expected: ExpectedChecksum?,
                           bmap: WriteConfiguration.BmapChoice, keyring: String?, cancel: CancellationFlag,
                           progress: @escaping (WriteProgress) -> Void) throws -> ImageComparison {
        let file = try ImageFile(path: imagePath)
        defer { file.close() }
        let onDisk = try ImageOnDisk(file.file)
        let map = try bmap.imageMap(forImage: imagePath, imageSize: onDisk.size, keyring: keyring)
        device.dropCaches()
        let assumed = try RewrittenTables.find(onDisk, imageSize: onDisk.size, on: device)
        let compare = { (size: Int64?, tables: RewrittenTables) in
            try Pass.run(file, format: onDisk.format, size: size, overlay: tables.overlay(imageSize: size ?? onDisk.plannedSize),
                         map: map, expected: expected, device: device, cancel: cancel, progress: progress)
        }
        var pass = try compare(onDisk.size, assumed)
        let imageSize = pass.imageSize
        var rewritten = assumed
        if onDisk.size == nil {
            try map?.refuseUnlessMade(forImageOf: imageSize, imagePath: imagePath)
            rewritten = try RewrittenTables.find(onDisk, imageSize: imageSize, on: device)
            // The pass assumed the tables the write would have planned not knowing the length (no
            // injection, the finish as planned before the stream was written). Where the length
            // changes that (an injection after it, a finish left undone over the image's data),
            // the bytes the stick must hold differ from those compared, and the decoded bytes
            // were not kept: only a second decode compares them.
            if rewritten.overlay(imageSize: imageSize) != assumed.overlay(imageSize: imageSize) {
                pass = try compare(imageSize, rewritten)
            }
        }

        var comparison = ImageComparison(imageSize: imageSize, firstDifference: pass.result.firstDifference, sha256: pass.sha256,
                                         footprint: rewritten.footprint, tables: rewritten.finish, map: map,
                                         mappedSHA256: pass.mappedSHA256)
        if let expected {
            do {
                comparison.matched = try ChecksumMatch.check(expected, imageDigest: pass.decoded == nil ? pass.result.imageHash : pass.decoded?.expectedHash(),
                                                             storedDigest: pass.decoded?.storedFileDigest(), imagePath: imagePath,
                                                             compressed: pass.decoded != nil)
            } catch let mismatch as ChecksumMismatchError {
                comparison.checksumMismatch = mismatch
            }
        }
        return comparison
    }
}

/// What the stick holds instead of the image's bytes where the tables were rewritten for it: a
/// user-data injection's, else a disk image's finish; neither when it holds the image's own.
private struct RewrittenTables {
    var footprint: InjectionFootprint?
    var finish: DiskImageFinish?

    /// `imageSize`: nil for a stream that does not state it: no injection then (write refuses
    /// user-data on such a stream), and the finish as write planned it, not knowing the length.
    static func find(_ onDisk: ImageOnDisk, imageSize: Int64?, on device: BlockDevice) throws -> RewrittenTables {
        let footprint = try imageSize.flatMap {
            try InjectionFootprint.find(imageSize: $0, readImage: onDisk.read, diskSize: device.size, readDisk: device.readDirect)
        }
        guard footprint == nil else { return RewrittenTables(footprint: footprint) }
        return RewrittenTables(finish: try DiskImageFinish.found(imagePath: onDisk.path, imageSize: imageSize ?? onDisk.plannedSize,
                                                                 imageEnd: imageSize, read: onDisk.read, on: device))
    }

    func overlay(imageSize: Int64) -> [DiskWrite] {
        footprint?.overlay(imageSize: imageSize) ?? finish?.overlay(imageSize: imageSize) ?? []
    }
}

/// One comparison of the device with the image, read (or decoded) from its start once.
private struct Pass {
    var result: DeviceComparison.Result
    var decoded: CompressedImage?
    /// The image's SHA-256, when this pass took it.
    var sha256: String?
    var mappedSHA256: String?

    var imageSize: Int64 { result.imageSize }

    /// `size`: the image's length; nil for a stream that does not state it (compared as it goes).
    /// `overlay`: what the device holds instead of the image's bytes there (`RewrittenTables`).
    static func run(_ file: ImageFile, format: CompressionFormat?, size: Int64?, overlay: [DiskWrite], map: ImageMap?,
                    expected: ExpectedChecksum?, device: BlockDevice, cancel: CancellationFlag,
                    progress: @escaping (WriteProgress) -> Void) throws -> Pass {
        let decoded = try format.map { try CompressedImage(file: file, format: $0, expected: expected, size: size) }
        let image: any ImageSource = decoded ?? file
        let mappedDigest = map.map { RangesDigestingSource(image, ranges: $0.ranges) }
        // A compressed image hashes what it decodes itself; a plain one is hashed here, for its
        // checksum, else for its SHA-256.
        let hash = decoded == nil ? expected.map(StreamingHash.init(for:)) ?? StreamingHash(.sha256) : nil
        let result = try DeviceComparison.compare(image: mappedDigest ?? image, device: device, hash: hash,
                                                  expected: overlay,
                                                  map: map, cancel: cancel, progress: progress)
        try decoded?.readToEnd()
        let plainSHA256 = hash?.algorithm == .sha256 && expected?.implantedMD5Length == nil ? result.imageHash : nil
        return Pass(result: result, decoded: decoded, sha256: decoded?.writtenImage?.sha256 ?? plainSHA256,
                    mappedSHA256: mappedDigest?.finalizeHex())
    }
}

extension ImageComparison {
    /// `verify` without a device: the image file checked against `expected` over the bytes it
    /// describes: a plain image's, or a compressed file's as stored or decoded (decoded whole, as
    /// a write would; both, when its list has a line for each). Returns the checksum with the
    /// coverage it matched; a mismatch throws `ChecksumMismatchError`.
    public static func checksum(imagePath: String, expected: ExpectedChecksum,
                                progress: @escaping (WriteProgress) -> Void) throws -> ExpectedChecksum {
        let file = try ImageFile(path: imagePath)
        defer { file.close() }
        let format = try CompressedImage.format(of: file)
        guard let format, expected.overImage != nil else {
            let actual = try FileHasher.hash(file: URL(fileURLWithPath: imagePath), for: expected) { done in
                progress(WriteProgress(phase: .checksum, bytes: done, totalBytes: file.size))
            }
            guard actual == expected.hex else { throw ChecksumMismatchError(imagePath: imagePath, expected: expected, actual: actual) }
            var matched = expected
            if format != nil { matched.coverage = .storedFile }
            return matched
        }
        let decoded = try CompressedImage(file: file, format: format, expected: expected)
        let buffer = AlignedBuffer(capacity: WritePlan.defaultChunkSize)
        var done: Int64 = 0
        while true {
            let got = try decoded.readNext(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: buffer.capacity))
            done += Int64(got)
            progress(WriteProgress(phase: .checksum, bytes: done, totalBytes: decoded.size))
            if got < buffer.capacity { break }
        }
        return try ChecksumMatch.check(expected, imageDigest: decoded.expectedHash(), storedDigest: decoded.storedFileDigest(),
                                       imagePath: imagePath, compressed: true)
    }
}
