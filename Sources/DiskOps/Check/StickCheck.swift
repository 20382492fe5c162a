import EdgeCore
import FileIO
import ISOVerify

/// `edgeflash check`: what a stick (or an image file) holds, read with O_DIRECT and nothing
/// written: the image region (the written image; a user-data volume added after it is not part of
/// it), its SHA-256 as the image had it, and the user-data volume's files. The region's length is
/// the size of an image it is compared with (`--image`, or the images the flash log names), else
/// what the stick itself says: the ISO 9660 volume size, the extent of the partitions and tables.
public enum StickCheck {
    public struct Report: Sendable {
        public var path: String
        public var size: Int64
        /// How many bytes from the start hold the image.
        public var regionLength: Int64
        /// The region's SHA-256 with the tables an injection rewrote put back as the image had
        /// them; with `--image`, the image's (equal to the region's when `firstDifference` is nil).
        public var regionSHA256: String
        /// The known image the region is, byte for byte; nil when it is none of them.
        public var matched: WrittenImage?
        /// With `--image`: the first byte where the region differs from it; nil when it does not.
        public var firstDifference: Int64?
        /// A disk image's tables as the write finished them for this disk, found on it whole.
        public var tables: DiskImageFinish?
        public var volume: VolumeFinding
    }

    /// The user-data volume and its files, or what is wrong with it (a `.mismatch` error).
    public enum VolumeFinding: Sendable {
        case found(InjectedVolume, UserDataVolumeFiles)
        /// No partition after the image.
        case missing(EdgeError)
        /// A partition after the image, but no readable user-data volume in it.
        case damaged(EdgeError)
    }

    /// Reads `path`. `image`: compare the region with it (as `verify --against` does); else hash it
    /// for each of `known` that fits, and name the one it matches.
    public static func run(path: String, image: String?, known: [WrittenImage], cancel: CancellationFlag,
                           progress: @escaping (WriteProgress) -> Void) throws -> Report {
        guard let status = FileStatus.of(path) else { throw EdgeError(.malformed, "\(path) does not exist") }
        guard status.kind == .blockDevice || status.kind == .regularFile else {
            throw EdgeError(.malformed, "\(path) is neither a block device nor an image file")
        }
        let device = try BlockDevice(path: path, access: .readOnly, direct: true)
        defer { device.close() }
        device.dropCaches()
        let survey = try InjectionSurvey(targetSize: device.size, imageSize: nil, read: device.readDirect)

        let region = try image.map { try compare(device, with: $0, cancel: cancel, progress: progress) }
            ?? identify(device, survey: survey, known: known, cancel: cancel, progress: progress)
        return Report(path: device.path, size: device.size, regionLength: region.length, regionSHA256: region.sha256,
                      matched: region.matched, firstDifference: region.firstDifference, tables: region.tables,
                      volume: readVolume(device, survey: survey, after: region.length))
    }

    /// The image region's findings, before the volume after it is read.
    private struct Region {
        var length: Int64
        var sha256: String
        var matched: WrittenImage?
        var firstDifference: Int64?
        var tables: DiskImageFinish?
    }

    /// The region against the image (a compressed one decoded), with the tables an injection or a
    /// disk image's finish rewrote expected as they wrote them.
    private static func compare(_ device: BlockDevice, with imagePath: String, cancel: CancellationFlag,
                                progress: @escaping (WriteProgress) -> Void) throws -> Region {
        let result = try ImageComparison.run(imagePath: imagePath, device: device, expected: nil, cancel: cancel, progress: progress)
        let sha256 = result.sha256 ?? ""
        return Region(length: result.imageSize, sha256: sha256,
                      matched: result.firstDifference == nil ? WrittenImage(size: result.imageSize, sha256: sha256) : nil,
                      firstDifference: result.firstDifference, tables: result.tables)
    }

    /// The region hashed at each known image's length (and the stick's own idea of it), in one pass.
    private static func identify(_ device: BlockDevice, survey: InjectionSurvey, known: [WrittenImage],
                                 cancel: CancellationFlag, progress: @escaping (WriteProgress) -> Void) throws -> Region {
        let ownLength = survey.imageEnd
        let lengths = Array(Set(known.map(\.size).filter { $0 > 0 && $0 <= device.size } + (ownLength > 0 ? [ownLength] : []))).sorted()
        guard !lengths.isEmpty else {
            throw EdgeError(.mismatch, "\(device.path) holds no image: no ISO 9660 volume and no partition table",
                            hint: "Write the image to it (edgeflash write).")
        }
        let regions = lengths.map { length in
            RegionHash.Region(length: length, overlay: ImageTablesOnStick.writes(
                survey.tables, userDataPartition: userDataPartition(survey, after: length)?.number, imageSize: length,
                diskSize: device.size, read: device.readDirect) ?? [])
        }
        let hashes = Dictionary(uniqueKeysWithValues: zip(lengths, try RegionHash.sha256(of: device, regions: regions, cancel: cancel, progress: progress)))
        // With its primary GPT damaged, the overlay rebuilds the primary from the backup, and the
        // hash would match the image the stick no longer holds whole.
        var finish: DiskImageFinish?
        let matched = survey.tables.gptFromBackup ? nil : try known.first { image in
            guard hashes[image.size] == image.sha256 else { return false }
            // Tables put back without a user-data volume after the image: a disk image's finish,
            // whose every byte the stick must then hold as the write made it.
            let region = regions.first { $0.length == image.size }!
            guard !region.overlay.isEmpty, userDataPartition(survey, after: image.size) == nil else { return true }
            finish = try DiskImageFinish.found(onStick: device, imageSize: image.size, imageTables: region.overlay)
            return finish != nil
        }
        let length = matched?.size ?? (ownLength > 0 ? ownLength : lengths[0])
        return Region(length: length, sha256: hashes[length]!, matched: matched, tables: finish)
    }

    /// The partition after an image of `length` bytes that holds (or held) the user-data volume:
    /// the one a survey recognises by its label, else the first that starts past the image.
    private static func userDataPartition(_ survey: InjectionSurvey, after length: Int64) -> TargetTables.Slot? {
        if let existing = survey.existing, existing.first >= length { return existing }
        return survey.tables.partitions.filter { $0.first >= length }.min { $0.first < $1.first }
    }

    private static func readVolume(_ device: BlockDevice, survey: InjectionSurvey, after length: Int64) -> VolumeFinding {
        guard let slot = userDataPartition(survey, after: length) else {
            return .missing(EdgeError(.mismatch, "\(device.path) has no user-data volume after its image (no partition starts past byte \(length))",
                                      hint: "Add one with edgeflash inject \(device.path) --user-data FILE."))
        }
        do {
            let (volume, files) = try InjectedVolumeCheck.read(path: device.path, partition: slot.number, start: slot.first,
                                                               size: slot.end - slot.first, read: device.readDirect)
            return .found(volume, files)
        } catch let error as EdgeError {
            return .damaged(error)
        } catch {
            return .damaged(EdgeError(.io, "reading the user-data volume of \(device.path) failed: \(error)"))
        }
    }
}
