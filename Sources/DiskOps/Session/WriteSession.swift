import Decompression
import EdgeCore
import Foundation
import ISOVerify

/// What `write` is asked to do, as its flags map to it.
public struct WriteConfiguration: Sendable {
    public var imagePath: String
    public var devicePath: String
    public var checksum: ChecksumSource
    /// Read the device back after writing (`--no-verify` turns it off).
    public var verify: Bool
    /// Probe the stick's real capacity before writing (`--no-probe` turns it off).
    public var probe: Bool
    /// `--unmount`: unmount the disk's partitions instead of refusing.
    public var unmount: Bool
    /// `--force`: override the refusals that have an override (a fixed disk, an optical-only ISO).
    public var force: Bool
    /// `--user-data`: the volume to add once the image is written and read back.
    public var userData: UserDataVolume?
    /// `--grow`: a disk image's last partition grows to the end of the disk.
    public var grow: Bool
    /// `--expect-serial`, `--expect-size`, or a station's stick as it arrived: any other disk is refused.
    public var expectation: DiskExpectation
    /// A volume made for the accepted disk instead (each stick of a batch gets its site's, with an
    /// instance-id naming the stick's serial); used when `userData` is nil.
    public var userDataForDisk: (@Sendable (Disk) throws -> UserDataVolume)?
    /// `--bmap FILE`, `--no-bmap`: the block map to follow; by default one found beside the image.
    public var bmap: BmapChoice = .beside
    /// `--keyring`: the OpenPGP keyring a signed bmap is checked against (nil: gpgv's own).
    public var keyring: String?

    public enum BmapChoice: Sendable, Equatable {
        case beside, file(String), none
    }

    public init(imagePath: String, devicePath: String, checksum: ChecksumSource = .beside, verify: Bool = true, probe: Bool = true,
                unmount: Bool = false, force: Bool = false, userData: UserDataVolume? = nil,
                userDataForDisk: (@Sendable (Disk) throws -> UserDataVolume)? = nil, grow: Bool = false,
                expectation: DiskExpectation = DiskExpectation()) {
        self.imagePath = imagePath
        self.devicePath = devicePath
        self.checksum = checksum
        self.verify = verify
        self.probe = probe
        self.unmount = unmount
        self.force = force
        self.userData = userData
        self.grow = grow
        self.expectation = expectation
        self.userDataForDisk = userDataForDisk
    }
}

/// One image written to one disk, as coreos-installer's `install(config)` does it: the library, not
/// the command, owns the order of the checks, the refusals, the facts the confirmation shows, and
/// the scrubbing of user-data secrets from every error. Two steps, with the question between them:
///
///     let prepared = try WriteSession(configuration, events: render).prepare()
///     if !yes { try ask(prepared.confirmation()) }      // the answer must be "yes"
///     let result = try prepared.run(cancel: flag)
///
/// A session is a value about one target; several can be prepared and run side by side, and their
/// events name the target they are about.
public struct WriteSession {
    public let configuration: WriteConfiguration
    private let readFacts: (TargetRequest) throws -> TargetFacts
    private let events: (SessionEvent) -> Void

    /// `readFacts` reads the machine (disks, mounts); tests hand it recorded ones.
    public init(_ configuration: WriteConfiguration,
                readFacts: @escaping (TargetRequest) throws -> TargetFacts = TargetFacts.live,
                events: @escaping (SessionEvent) -> Void) {
        self.configuration = configuration
        self.readFacts = readFacts
        self.events = events
    }

    /// The preflight, in this order, with nothing written (the first failure is the one reported):
    /// 1. the image: a regular, non-empty file; a truncated ISO refused (exit 6), so is an ISO that
    ///    will not boot from a stick, unless `--force` (exit 3);
    /// 2. its checksum: given, named, or found beside it; a broken checksum file is an error (exit 6);
    /// 3. the disk: the safety policy (`TargetPolicy`), with `--unmount` unmounting first (exit 3);
    /// 4. a bmap's (or sparse file's) ranges: in whole sectors of this disk (exit 3);
    /// 5. with user-data: room for its volume after the image on this disk (exit 3);
    /// 6. a disk image's tables on this disk: its sector size, and what `--grow` can do (exit 3).
    public func prepare() throws -> PreparedWrite {
        do {
            let config = configuration
            if let keyring = config.keyring { try Gpgv.requireKeyring(URL(fileURLWithPath: keyring)) }
            let image = try ImageCheck.open(config.imagePath)
            do {
                emit(.imageOpened(bytes: image.size))
                if try ISOVolumeCheck.run(imagePath: config.imagePath) != nil, !config.force,
                   let refusal = try BootVerdict.assess(image: URL(fileURLWithPath: config.imagePath))
                    .refusalForRawWrite(image: config.imagePath) {
                    throw refusal
                }
                let expected = try config.checksum.expected(forImage: config.imagePath)
                emit(.checksumKnown(expected))
                let source = try Self.source(image, hashing: expected, userData: config.userData != nil || config.userDataForDisk != nil)
                let map = try Self.map(config, image: image, source: source)
                let disk = try TargetCheck.check(TargetRequest(imagePath: config.imagePath, imageSize: source.size,
                                                               devicePath: config.devicePath, unmount: config.unmount,
                                                               force: config.force, expectation: config.expectation),
                                                 readFacts: readFacts)
                // A stream of unstated size is cut where the bmap says the image ends (checked there).
                if let map { try Self.requireWholeSectors(map, imageSize: source.sizeIsStated ? source.size : map.imageSize, disk: disk) }
                // Room for the site's volume is checked now, against the image as it will lie on
                // this disk, so a stick too small for both is refused before anything is erased.
                // A compressed image's tables are read decoded, as the disk will hold them.
                let onDisk = try ImageOnDisk(image.file)
                let userData = try config.userData ?? config.userDataForDisk?(disk)
                if let userData {
                    try InjectionPlanner.refuseUnlessClassicSectors(disk.logicalSectorSize, of: disk.path)
                    _ = try userData.planAfterWriting(onDisk, toDiskOf: disk.size)
                }
                let finish = try DiskImageFinish.plan(imagePath: config.imagePath, imageSize: onDisk.plannedSize, imageEnd: onDisk.size, disk: disk,
                                                      grow: config.grow, read: onDisk.read)
                emit(.targetAccepted(disk))
                return PreparedWrite(session: self, image: image, source: source, map: map, expected: expected, disk: disk,
                                     userData: userData, finish: finish)
            } catch {
                image.close()  // refused: nothing will read it
                throw error
            }
        } catch {
            throw scrubber.scrub(error)
        }
    }

    /// What the engine reads: the file, or its decompressed bytes for a gzip, xz or zstd file (told
    /// by its magic bytes), hashing the stored bytes too when the checksum may be over them.
    private static func source(_ image: ImageFile, hashing expected: ExpectedChecksum?, userData: Bool) throws -> any ImageSource {
        if userData { try requireStatedSize(forUserData: image) }
        guard let format = try CompressedImage.format(of: image) else { return image }
        return try CompressedImage(file: image, format: format, expected: expected)
    }

    /// The user-data volume goes after the image, so the image's length must be known before the
    /// write: a compressed stream that does not state it is refused with user-data (by `write`'s
    /// preflight, and by a station before it takes any stick).
    public static func requireStatedSize(forUserData image: ImageFile) throws {
        guard let format = try CompressedImage.format(of: image), DecodedSize.of(image.file, format: format) == nil else { return }
        // A truncated or damaged file states no size either: say that, not "use another format".
        if let damage = DecodedSize.damage(of: image.file, format: format) { throw damage }
        // An xz file states its size unless its index is larger than edgeflash reads (or it is
        // made of more streams than any image is): another xz would not help.
        let instead = format == .xz ? "Decompress it first" : "Use an xz or zstd image (they state it), or decompress it first"
        throw EdgeError(.refused, "--user-data needs to know where the image ends before writing, and \(image.path) does not state its decompressed size (\(format.rawValue) stream)",
                        hint: "\(instead) (\(format.rawValue) -dk \(image.path)) and write that image with --user-data.")
    }

    /// Which ranges of the image to write: a bmap's (given, or found beside the image as bmaptool
    /// finds it; checked, its signature too, before anything is written), else a sparse file's
    /// data extents; nil to write every byte.
    private static func map(_ config: WriteConfiguration, image: ImageFile, source: any ImageSource) throws -> ImageMap? {
        try config.bmap.imageMap(forImage: config.imagePath, imageSize: source.sizeIsStated ? source.size : nil, keyring: config.keyring)
            ?? (source is ImageFile ? SparseMap.of(image.file) : nil)
    }

    /// A map's ranges go to the disk with O_DIRECT, in the disk's whole sectors: a bmap made with
    /// blocks smaller than them (512 bytes, on a 4096-byte-sector disk) whose ranges start or end
    /// inside a sector cannot be written as it says. Refused before anything is written; the
    /// image's own end may fall inside a sector (its last sector is padded, as any image's is).
    private static func requireWholeSectors(_ map: ImageMap, imageSize: Int64?, disk: Disk) throws {
        let sector = Int64(disk.logicalSectorSize)
        guard let cut = map.ranges.first(where: { $0.lowerBound % sector != 0 || ($0.upperBound % sector != 0 && $0.upperBound != imageSize) })
        else { return }
        throw EdgeError(.refused, "\(map.source)'s ranges are not aligned to the \(sector)-byte sectors of \(disk.path): bytes \(cut.lowerBound)-\(cut.upperBound - 1) start or end inside a sector",
                        hint: "Make the bmap again with bmaptool create on a filesystem with \(sector)-byte blocks or larger, or pass --no-bmap to write the whole image.")
    }

    var scrubber: SecretScrubber { configuration.userData?.scrubber ?? .none }

    func emit(_ kind: SessionEvent.Kind) {
        events(SessionEvent(target: configuration.devicePath, kind))
    }
}

/// A write whose preflight passed: the image (open), its checksum and the accepted disk. `run`
/// closes the image when it returns; a prepared write that is never run keeps it open until exit.
public struct PreparedWrite {
    public let session: WriteSession
    public let image: ImageFile
    /// What the write reads: `image`, or its decompressed bytes (`CompressedImage`).
    public let source: any ImageSource
    /// Only these ranges are written and read back (a bmap, a sparse file's extents).
    public let map: ImageMap?
    public let expected: ExpectedChecksum?
    public let disk: Disk
    /// The volume added after the write: the configuration's, or the one made for this disk.
    public let userData: UserDataVolume?
    /// What the disk image's tables need on this disk after the write; nil when nothing.
    public let finish: DiskImageFinish?

    /// The write reads the image file whole, as it is: not decompressed, not in mapped ranges only.
    var readsWholeFile: Bool { source is ImageFile && map == nil }

    /// What to ask before running: the disk and everything on it that will be erased.
    public func confirmation() -> ConfirmationRequest {
        ConfirmationRequest(disk: disk, change: .eraseAndWrite(imagePath: image.path, imageBytes: source.sizeIsStated ? source.size : image.size),
                            givenPath: session.configuration.devicePath)
    }

    /// Takes the disk (refused as busy, naming its holders, when anything holds it), writes and
    /// reads back the image, then adds the user-data volume when one was given. `cancel` (set by
    /// Ctrl-C) stops it; the error then says what the disk holds. `shared` reads the image instead
    /// of the prepared source (a fan-out tap, when several targets share one reading of a plain
    /// image), and `depth` is the number of buffers in the write's ring (fewer per target when many
    /// share the memory; a decompressor's, `CompressedImage.ringDepth`).
    public func run(cancel: CancellationFlag, shared: (any ImageSource)? = nil, depth: Int = 4) throws -> WriteResult {
        defer { image.close() }
        let device = disk.path
        do {
            if cancel.isCancelled {
                throw EdgeError(.interrupted, "interrupted: nothing written to \(device)")
            }
            // Another disk at the name first: its holders are not the technician's to unmount.
            try SameStick.require(disk, written: false)
            try ExclusiveAccess.check(devicePath: device)
            let read = shared ?? source
            let outcome = try writeImage(read, depth: (source as? CompressedImage)?.ringDepth(insteadOf: depth) ?? depth, cancel: cancel)
            session.emit(.written(outcome))
            let written = WrittenImage.named(by: read, checksum: outcome.checksum)
            // A stream's end is known now: its finish must not write over what it wrote either.
            let finish = self.finish?.leftAsIs(ifOverwritingImageOf: outcome.bytesWritten)
            if let finish { try finishTables(finish) }
            guard let userData else { return WriteResult(outcome: outcome, image: written, tables: finish) }
            let plan = try addVolume(userData, after: finish, cancel: cancel)
            session.emit(.injected(plan))
            // A Ctrl-C that came while the volume was being finished changes nothing: the stick is
            // whole and site-ready, as one finished without user-data is, and is reported so (a
            // station logs its site as done instead of handing it to another stick).
            return WriteResult(outcome: outcome, image: written, injected: plan, tables: finish)
        } catch {
            throw scrubber.scrub(error)
        }
    }

    var scrubber: SecretScrubber { userData?.scrubber ?? session.scrubber }

    /// Adds the site's volume to the freshly written stick. The image without its site's volume is
    /// not a site-ready stick, so it must not look like one: any failure here (Ctrl-C before the
    /// volume starts included) blanks the first MiB again, as a failed write does, and zeroes the
    /// backup GPT at the disk's end that `finish` moved there or the injection may have written
    /// (where it goes is planned again from the tables, which the injection changes last).
    private func addVolume(_ userData: UserDataVolume, after finish: DiskImageFinish?, cancel: CancellationFlag) throws -> InjectionPlan {
        do {
            if cancel.isCancelled {
                throw EdgeError(.interrupted, "interrupted: the user-data volume was not added to \(disk.path)",
                                hint: "Run the write again.")
            }
            try SameStick.require(disk, written: true)
            return try userData.add(to: disk.path, imageSize: source.size)
        } catch {
            let cause = error as? any EdgeFlashError ?? EdgeError(.failure, "adding the user-data volume to \(disk.path) failed: \(error)")
            let backups = (finish?.backupRanges ?? []) + ((try? userData.plan(on: disk.path))?.backupRanges ?? [])
            throw WriteFailure(scrubber.scrub(cause), target: disk.path, firstMiB: blankFirstMiB(zeroingToo: backups))
        }
    }

    /// Moves a disk image's backup GPT to the disk's end and grows its last partition (`--grow`).
    /// A failure leaves tables that no longer match the image: the first MiB is blanked, as a
    /// failed write's is, and the backup GPT it may have moved to the disk's end is zeroed too.
    private func finishTables(_ finish: DiskImageFinish) throws {
        do {
            try SameStick.require(disk, written: true)
            try finish.apply(to: disk.path)
            session.emit(.tablesFinished(finish))
        } catch {
            let cause = error as? any EdgeFlashError ?? EdgeError(.failure, "finishing the partition table of \(disk.path) failed: \(error)")
            throw WriteFailure(cause, target: disk.path, firstMiB: blankFirstMiB(zeroingToo: finish.backupRanges))
        }
    }

    /// Reopens the stick to zero its first MiB and read it back (the write closed it before the
    /// injector opened it); `zeroingToo` is zeroed first, in the same sync.
    private func blankFirstMiB(zeroingToo ranges: [Range<Int64>] = []) -> FirstMiBState {
        do {
            let target = try openTheCheckedDisk(written: true)
            defer { target.close() }
            var notZeroed: DeviceIOError?
            for range in ranges {
                do { try target.zero(range) } catch { notZeroed = error }
            }
            let state = FirstMiB.blank(target)
            guard state == .blank, let notZeroed else { return state }
            return .notBlank(reason: "its first MiB is blank, but the backup GPT at its end could not be zeroed: \(notZeroed.message)")
        } catch {
            return .notBlank(reason: (error as? any EdgeFlashError)?.message ?? "\(error)")
        }
    }

    /// The stick opened for writing, and only the disk the preflight checked (`SameStick`).
    private func openTheCheckedDisk(written: Bool) throws -> BlockDevice {
        let target = try BlockDevice(path: disk.path, access: .readWrite, direct: true, exclusive: true)
        do {
            try SameStick.require(disk, opened: target.file.diskSequence, written: written)
        } catch {
            target.close()
            throw error
        }
        return target
    }

    /// The one place the write engine is reached. The device is closed on return, before the
    /// injector opens it.
    private func writeImage(_ source: any ImageSource, depth: Int, cancel: CancellationFlag) throws -> WriteOutcome {
        let target = try openTheCheckedDisk(written: false)
        defer { target.close() }
        let writer = try ImageWriter(image: source, device: target, expected: expected, map: map, depth: depth,
                                     probe: session.configuration.probe, cancel: cancel,
                                     progress: { session.emit(.progress($0)) })
        return try writer.run(verify: session.configuration.verify)
    }
}

/// What a finished write did.
public struct WriteResult {
    public var outcome: WriteOutcome
    /// The image as the stick holds it (decompressed), for the flash log; nil when nothing named it.
    public var image: WrittenImage?
    /// The user-data volume added after the write, when one was asked for.
    public var injected: InjectionPlan?
    /// What was done to a disk image's tables after the write (backup GPT moved, `--grow`).
    public var tables: DiskImageFinish?

    public init(outcome: WriteOutcome, image: WrittenImage? = nil, injected: InjectionPlan? = nil, tables: DiskImageFinish? = nil) {
        self.outcome = outcome
        self.image = image
        self.injected = injected
        self.tables = tables
    }
}
