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
        /// Of a bmap's ranges only (`RangesDigest`) when `mapped` says so without `--image`.
        public var regionSHA256: String
        /// The known image the region is, byte for byte (in its mapped ranges, for a write that
        /// followed a bmap); nil when it is none of them.
        public var matched: KnownImage?
        /// The bmap whose ranges alone were compared or hashed; nil when every byte was.
        public var mapped: Mapped?
        /// With `--image`: the first byte where the region differs from it; nil when it does not.
        public var firstDifference: Int64?
        /// A disk image's tables as the write finished them for this disk, found on it whole.
        public var tables: DiskImageFinish?
        public var volume: VolumeFinding
    }

    /// A bmap's ranges: the only bytes of the region a write through it put on the stick.
    public struct Mapped: Sendable {
        public var bmap: String
        public var ranges: Int
        public var bytes: Int64
    }

    /// The user-data volume and its files, or what is wrong with it (a `.mismatch` error).
    public enum VolumeFinding: Sendable {
        case found(InjectedVolume, UserDataVolumeFiles)
        /// No partition after the image.
        case missing(EdgeError)
        /// A partition after the image, but no readable user-data volume in it.
        case damaged(EdgeError)
    }

    /// Reads `path`. `image`: compare the region with it (as `verify --against` does, in the ranges
    /// of the bmap `bmap` names for it, if any); else hash it for each of `known` that fits, and
    /// name the one it matches. `loggedLength`: the size of the image the log's latest write here
    /// took no digest of (`FlashLog.Contents.undigestedWrite`): nothing can name the region then,
    /// but it is that long, whatever the stick's own tables say.
    public static func run(path: String, image: String?, bmap: WriteConfiguration.BmapChoice = .none, keyring: String? = nil,
                           known: [KnownImage], loggedLength: Int64? = nil, cancel: CancellationFlag,
                           progress: @escaping (WriteProgress) -> Void) throws -> Report {
        guard let status = FileStatus.of(path) else { throw EdgeError(.malformed, "\(path) does not exist") }
        guard status.kind == .blockDevice || status.kind == .regularFile else {
            throw EdgeError(.malformed, "\(path) is neither a block device nor an image file")
        }
        let device = try BlockDevice(path: path, access: .readOnly, direct: true)
        defer { device.close() }
        device.dropCaches()
        let survey = try InjectionSurvey(targetSize: device.size, imageSize: nil, sectorSize: device.logicalSectorSize,
                                         read: device.readDirect)

        let region = try image.map { try compare(device, with: $0, bmap: bmap, keyring: keyring, cancel: cancel, progress: progress) }
            ?? identify(device, survey: survey, known: known, loggedLength: loggedLength, cancel: cancel, progress: progress)
        return Report(path: device.path, size: device.size, regionLength: region.length, regionSHA256: region.sha256,
                      matched: region.matched, mapped: region.mapped, firstDifference: region.firstDifference, tables: region.tables,
                      volume: readVolume(device, survey: survey, after: region.length))
    }

    /// The image region's findings, before the volume after it is read.
    private struct Region {
        var length: Int64
        var sha256: String
        var matched: KnownImage?
        var mapped: Mapped?
        var firstDifference: Int64?
        var tables: DiskImageFinish?
    }

    /// The region against the image (a compressed one decoded), with the tables an injection or a
    /// disk image's finish rewrote expected as they wrote them.
    private static func compare(_ device: BlockDevice, with imagePath: String, bmap: WriteConfiguration.BmapChoice, keyring: String?,
                                cancel: CancellationFlag, progress: @escaping (WriteProgress) -> Void) throws -> Region {
        let result = try ImageComparison.run(imagePath: imagePath, device: device, expected: nil, bmap: bmap, keyring: keyring,
                                             cancel: cancel, progress: progress)
        let sha256 = result.sha256 ?? ""
        return Region(length: result.imageSize, sha256: sha256,
                      matched: result.firstDifference != nil ? nil : result.map.map {
                          KnownImage(size: result.imageSize, sha256: result.mappedSHA256 ?? "", ranges: $0.ranges, bmap: $0.source)
                      } ?? KnownImage(size: result.imageSize, sha256: sha256),
                      mapped: result.map.map { Mapped(bmap: $0.source, ranges: $0.ranges.count, bytes: $0.mappedBytes) },
                      firstDifference: result.firstDifference, tables: result.tables)
    }

    /// The region hashed at each known image's length (in its mapped ranges, for a write that
    /// followed a bmap) and at the stick's own idea of its length, in one pass.
    private static func identify(_ device: BlockDevice, survey: InjectionSurvey, known: [KnownImage], loggedLength: Int64?,
                                 cancel: CancellationFlag, progress: @escaping (WriteProgress) -> Void) throws -> Region {
        let ownLength = survey.imageEnd
        let fitting = known.filter { $0.size > 0 && $0.size <= device.size }
        let logged = loggedLength.flatMap { $0 > 0 && $0 <= device.size ? $0 : nil }
        // The region as reported when no image matches: the logged length of an image written
        // without a digest, else the stick's own length, else the shortest known.
        guard let plainLength = logged ?? (ownLength > 0 ? ownLength : fitting.map(\.size).min()) else {
            throw EdgeError(.mismatch, "\(device.path) holds no image: no ISO 9660 volume and no partition table",
                            hint: "Write the image to it (edgeflash write).")
        }
        let plain = Shape(length: plainLength, ranges: nil)
        let shapes = Array(Set(fitting.map { Shape(length: $0.size, ranges: $0.ranges) } + [plain]))
        let regions = shapes.map { shape in
            RegionHash.Region(length: shape.length, overlay: ImageTablesOnStick.writes(
                survey.tables, userDataPartition: userDataPartition(survey, after: shape.length)?.number, imageSize: shape.length,
                diskSize: device.size, read: device.readDirect) ?? [], ranges: shape.ranges)
        }
        let hashes = Dictionary(uniqueKeysWithValues: zip(shapes, try RegionHash.sha256(of: device, regions: regions, cancel: cancel, progress: progress)))
        // With its primary GPT damaged, the overlay rebuilds the primary from the backup, and the
        // hash would match the image the stick no longer holds whole.
        var finish: DiskImageFinish?
        let matched = survey.tables.gptFromBackup ? nil : try fitting.first { image in
            let shape = Shape(length: image.size, ranges: image.ranges)
            guard hashes[shape] == image.sha256 else { return false }
            // Tables put back without a user-data volume after the image: a disk image's finish,
            // whose every byte the stick must then hold as the write made it.
            let region = regions[shapes.firstIndex(of: shape)!]
            guard !region.overlay.isEmpty, userDataPartition(survey, after: image.size) == nil else { return true }
            finish = try DiskImageFinish.found(onStick: device, imageSize: image.size, imageTables: region.overlay)
            return finish != nil
        }
        let shape = matched.map { Shape(length: $0.size, ranges: $0.ranges) } ?? plain
        let mapped = matched.flatMap { image in
            image.ranges.map { Mapped(bmap: image.bmap ?? "a bmap", ranges: $0.count, bytes: $0.reduce(0) { $0 + Int64($1.count) }) }
        }
        return Region(length: shape.length, sha256: hashes[shape]!, matched: matched, mapped: mapped, tables: finish)
    }

    /// What one hash of the region covers: its first `length` bytes, or only their `ranges`.
    private struct Shape: Hashable {
        var length: Int64
        var ranges: [Range<Int64>]?
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
