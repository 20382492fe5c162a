import EdgeCore
import Foundation
import FileIO
import ISOVerify

/// `verify --against` and `check --image`: a stick compared with the image file it was written
/// from, as the write left it. The device holds the image's bytes: a compressed file's decoded ones
/// (a stream that states no length is decoded once first, to learn it). Where a user-data injection
/// or a disk image's finish rewrote the tables, the stick must hold exactly what they wrote there,
/// planned again from the image's own tables (`ImageOnDisk`). The image's SHA-256 and the expected
/// checksum's digest are taken in the same pass; the device is read with O_DIRECT. An image written
/// through a bmap (the one `write` would follow: `--bmap`, beside the image, none with `--no-bmap`)
/// is compared in its mapped ranges only: its unmapped blocks are "don't care", and kept what the
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
        let decoded = try onDisk.format.map { format in
            try CompressedImage(file: file, format: format, expected: expected,
                                size: try onDisk.size ?? CompressedImage.decodedLength(of: file, format: format))
        }
        let image: any ImageSource = decoded ?? file
        let imageSize = image.size
        let map = try bmap.imageMap(forImage: imagePath, imageSize: imageSize, keyring: keyring)
        let mappedDigest = map.map { RangesDigestingSource(image, ranges: $0.ranges) }
        let source: any ImageSource = mappedDigest ?? image

        device.dropCaches()
        let footprint = try InjectionFootprint.find(imageSize: imageSize, readImage: onDisk.read, diskSize: device.size,
                                                    readDisk: device.readDirect)
        let tables = try footprint == nil ? DiskImageFinish.found(imagePath: onDisk.path, imageSize: imageSize, read: onDisk.read, on: device) : nil
        // A compressed image hashes what it decodes itself; a plain one is hashed here, for its
        // checksum, else for its SHA-256.
        let hash = decoded == nil ? expected.map(StreamingHash.init(for:)) ?? StreamingHash(.sha256) : nil
        let result = try DeviceComparison.compare(image: source, device: device, hash: hash,
                                                  expected: footprint?.overlay(imageSize: imageSize) ?? tables?.overlay(imageSize: imageSize) ?? [],
                                                  map: map, cancel: cancel, progress: progress)
        try decoded?.readToEnd()

        let plainSHA256 = hash?.algorithm == .sha256 && expected?.implantedMD5Length == nil ? result.imageHash : nil
        var comparison = ImageComparison(imageSize: imageSize, firstDifference: result.firstDifference,
                                         sha256: decoded?.writtenImage?.sha256 ?? plainSHA256,
                                         footprint: footprint, tables: tables, map: map,
                                         mappedSHA256: mappedDigest?.finalizeHex())
        if let expected {
            do {
                comparison.matched = try ChecksumMatch.check(expected, imageDigest: decoded == nil ? result.imageHash : decoded?.expectedHash(),
                                                             storedDigest: decoded?.storedFileDigest(), imagePath: imagePath)
            } catch let mismatch as ChecksumMismatchError {
                comparison.checksumMismatch = mismatch
            }
        }
        return comparison
    }
}

extension ImageComparison {
    /// `verify` without a device: the image file checked against `expected` over the bytes it
    /// describes: a plain image's, or a compressed file's as stored or decoded (decoded whole, as
    /// a write would). Returns the checksum with the coverage it matched; a mismatch throws
    /// `ChecksumMismatchError`.
    public static func checksum(imagePath: String, expected: ExpectedChecksum,
                                progress: @escaping (WriteProgress) -> Void) throws -> ExpectedChecksum {
        let file = try ImageFile(path: imagePath)
        defer { file.close() }
        let format = try CompressedImage.format(of: file)
        guard let format, expected.coverage != .storedFile else {
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
                                       imagePath: imagePath)
    }
}
