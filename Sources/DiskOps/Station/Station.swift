import EdgeCore
import FileIO
import Foundation
import ISOVerify
import Synchronization

/// What the build side gives a station for one stick: its site's user-data volume (the files
/// rendered and validated), and what the flash log records about it.
public struct StickUserData: Sendable {
    public var volume: UserDataVolume
    public var sha256: String
    public var instanceID: String

    public init(volume: UserDataVolume, sha256: String, instanceID: String) {
        self.volume = volume
        self.sha256 = sha256
        self.instanceID = instanceID
    }
}

/// `edgeflash station`: waits for sticks and gives each new one the image and the next site.
/// Every eligible drive that appears (`DriveArrivals`) gets its own `WriteSession`, run on its own
/// thread, so sticks inserted together are written side by side and a slow or failing one holds
/// up no other. Each result is appended to the flash log (operation `station`); a failed stick's
/// site goes to the next stick. Drives are noticed through kernel uevents, with /sys/block read
/// again at least every half second (the polling fallback where uevents do not arrive).
///
/// It stops on its own (`Summary.stopped`), stopping the sticks being written as Ctrl-C does, when
/// going on would give every next stick the same fault: the image did not match its checksum, or
/// the flash log could not be appended to (the log is what keeps a site from going on two sticks).
public final class Station: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var imagePath: String
        public var checksum: ChecksumSource
        public var rules: DriveArrivals.Rules
        /// Stop after this many sticks were written successfully; nil: until interrupted or out of sites.
        public var count: Int?
        public var log: FlashLog
        public var version: String

        public init(imagePath: String, checksum: ChecksumSource = .beside, rules: DriveArrivals.Rules, count: Int?,
                    log: FlashLog, version: String) {
            self.imagePath = imagePath
            self.checksum = checksum
            self.rules = rules
            self.count = count
            self.log = log
            self.version = version
        }
    }

    public enum Event: Sendable {
        /// Said once, at the start: the checksum each stick's write checks the image against; nil
        /// when none is known (an unverified image).
        case checksum(ExpectedChecksum?)
        /// Nothing is being written: a stick may be inserted.
        case waiting
        /// A new drive the station does not write, and why.
        case passedOver(Disk, reason: String)
        /// A new stick not taken yet, because the sticks being written take every site or the
        /// whole `count`: taken if one of them fails, else passed over when the station ends.
        case held(Disk)
        case started(Disk, site: String)
        /// What the stick's session reports (progress, written, injected), with its site.
        case session(SessionEvent, site: String)
        case done(Disk, site: String, seconds: Double)
        case failed(Disk, site: String, error: any EdgeFlashError)
        /// A stick the station took was removed.
        case removed(device: String)
        /// The flash log could not be appended to: the result stands, but `--next` and later
        /// stations will not know of it. The station stops (`Summary.stopped`).
        case logFailed(any EdgeFlashError)
    }

    public struct Summary: Sendable {
        public var done: [(device: String, site: String)] = []
        public var failed = 0
        public var interrupted = false
        /// Every site of the sites file has a stick.
        public var sitesExhausted = false
        /// Why the station stopped on its own, as the command exits: the image did not match its
        /// checksum, or the log could not be appended to.
        public var stopped: (any EdgeFlashError)?
        /// Some result is not in the log.
        public var logFailed = false
    }

    private let configuration: Configuration
    private let nextSite: (Set<String>) throws -> String?
    private let userData: (String, Disk) throws -> StickUserData
    private let events: @Sendable (Event) -> Void
    private let finished = Mutex<[Finished]>([])
    /// The checksum found at the start, said once there (each stick's write looks it up again).
    private let expected: ExpectedChecksum?

    private struct Finished: Sendable {
        var disk: Disk
        var site: String
        var userData: StickUserData?
        /// The image as the stick's write read it (decompressed); nil when it did not name it.
        var image: WrittenImage?
        var failure: (any EdgeFlashError)?
        var seconds: Double
    }

    /// `nextSite(excluding)`: the next site in file order that neither the log nor `excluding`
    /// (sites being written or written by this station) has; nil when none is left.
    /// `userData(site, disk)`: the stick's files for that site (called on the station's thread).
    /// Refuses here, before any stick is taken, what would fail every stick: a flash log that
    /// cannot be appended to, an image that does not state its decompressed size (every stick gets
    /// a user-data volume after it), a checksum file that cannot be read.
    public init(_ configuration: Configuration, nextSite: @escaping (Set<String>) throws -> String?,
                userData: @escaping (String, Disk) throws -> StickUserData,
                events: @escaping @Sendable (Event) -> Void) throws {
        try configuration.log.requireAppendable()
        let file = try ImageFile(path: configuration.imagePath)
        defer { file.close() }
        try WriteSession.requireStatedSize(forUserData: file)
        expected = try configuration.checksum.expected(forImage: configuration.imagePath)
        self.configuration = configuration
        self.nextSite = nextSite
        self.userData = userData
        self.events = events
    }

    /// Runs until `count` sticks are done, every site has a stick, `cancel` is set (Ctrl-C), or the
    /// station stops on its own (which sets `cancel`); then waits for the sticks being written,
    /// which a cancel stops and leaves blank.
    public func run(cancel: CancellationFlag) throws -> Summary {
        // A plain image is hashed here once for every stick's log line; a compressed one is named
        // by each stick's write, which hashes what it decodes.
        let file = try ImageFile(path: configuration.imagePath)
        let hashed: WrittenImage?
        do {
            defer { file.close() }
            hashed = try CompressedImage.format(of: file) != nil ? nil
                : WrittenImage(size: file.size, sha256: try FileHasher.hash(file: URL(fileURLWithPath: file.path), algorithm: .sha256))
        }
        // A plain image was just hashed whole: a SHA-256 it must have is checked now, before any
        // stick is erased (a compressed image's is known once a stick's write decoded it: then the
        // station stops after that stick, below).
        if let hashed, let expected, expected.algorithm == .sha256, expected.implantedMD5Length == nil {
            _ = try ChecksumMatch.check(expected, imageDigest: hashed.sha256, storedDigest: hashed.sha256, imagePath: configuration.imagePath)
        }
        let uevents = UeventSocket.open()
        var arrivals = DriveArrivals(present: try Self.inventory(), rules: configuration.rules)
        var running: [StickInFlight: String] = [:]  // a stick being written -> its site (its name may come back as another stick meanwhile)
        // Sticks not taken while others are in flight, because those take every site or the whole
        // count: one of them may fail and free its place, so these wait for it rather than being
        // passed over for good (a stick passed over stays so until it is removed).
        var held: [Disk] = []
        var unlogged: [String] = []              // "site (device)" of done sticks the log lacks
        var summary = Summary()
        events(.checksum(expected))
        events(.waiting)
        while true {
            for result in finished.withLock({ results in defer { results = [] }; return results }) {
                running[StickInFlight(result.disk)] = nil
                let logged = record(result, image: result.image ?? hashed)
                if let failure = result.failure {
                    summary.failed += 1
                    events(.failed(result.disk, site: result.site, error: failure))
                } else {
                    summary.done.append((result.disk.path, result.site))
                    events(.done(result.disk, site: result.site, seconds: result.seconds))
                }
                if let logFailure = logged {
                    summary.logFailed = true
                    if result.failure == nil { unlogged.append("\(result.site) (\(result.disk.path))") }
                    summary.stopped = summary.stopped ?? Self.stop(logFailure: logFailure)
                } else if let mismatch = Self.imageMismatch(result.failure) {
                    summary.stopped = summary.stopped ?? EdgeError(
                        .mismatch, "station stopped: the image does not match its checksum, so no stick can be written with it: \(mismatch.message)",
                        hint: mismatch.hint)
                }
                if summary.stopped != nil { cancel.cancel() }
            }
            let written = Set(summary.done.map(\.site))
            if cancel.isCancelled {
                summary.interrupted = summary.stopped == nil
                if running.isEmpty { break }
            } else if let count = configuration.count, summary.done.count >= count {
                if running.isEmpty { break }
            } else if try nextSite(written) == nil {
                summary.sitesExhausted = true
                if running.isEmpty { break }
            } else {
                let change = arrivals.update(try Self.inventory())
                for device in change.removed { events(.removed(device: "/dev/" + device)) }
                held.removeAll { change.removed.contains($0.name) }
                // Loop devices come and go with every test and demo on the machine: passed over silently.
                for (disk, reason) in change.passedOver where disk.transport != "loop" { events(.passedOver(disk, reason: reason)) }
                let waiting = held
                held = []
                for disk in waiting + change.arrived {
                    // Here some site is left and the count is not reached: a stick that gets no
                    // place now is kept for a place a failing stick in flight frees.
                    let wanted = configuration.count.map { summary.done.count + running.count < $0 } ?? true
                    guard wanted, let site = try nextSite(written.union(running.values)) else {
                        if !waiting.contains(where: { $0.name == disk.name }) { events(.held(disk)) }
                        held.append(disk)
                        continue
                    }
                    running[StickInFlight(disk)] = site
                    events(.started(disk, site: site))
                    start(disk, site: site, userData: Result { try userData(site, disk) }, cancel: cancel)
                }
                if !change.removed.isEmpty, running.isEmpty, arrivals.plugged.isEmpty { events(.waiting) }
            }
            if let uevents { _ = uevents.waitForBlockEvent(seconds: 0.5) } else { Thread.sleep(forTimeInterval: 0.5) }
        }
        let reason = summary.stopped != nil || summary.interrupted ? "the station was stopped"
            : summary.sitesExhausted ? "every site has a stick" : "the station has all the sticks it was asked for"
        for disk in held { events(.passedOver(disk, reason: reason)) }
        if !unlogged.isEmpty, let stopped = summary.stopped {
            summary.stopped = EdgeError(rewording: stopped, message: stopped.message + "; done but not in the log: " + unlogged.joined(separator: ", "),
                                        hint: stopped.hint)
        }
        return summary
    }

    /// A failure that is the image's, not the stick's: every stick would fail the same way.
    private static func imageMismatch(_ failure: (any EdgeFlashError)?) -> ChecksumMismatchError? {
        ((failure as? WriteFailure)?.cause ?? failure) as? ChecksumMismatchError
    }

    private static func stop(logFailure: any EdgeFlashError) -> any EdgeFlashError {
        EdgeError(.io, "station stopped: \(logFailure.message)",
                  hint: "The log is what keeps a site from going on two sticks: make it appendable, or give another file with --log. A site done but not in it would be given to another stick.")
    }

    /// A stick being written, as it arrived: its name, and the disk sequence that tells it from
    /// another stick given that name while it is written.
    private struct StickInFlight: Hashable {
        let name: String
        let sequence: UInt64?
        init(_ disk: Disk) { (name, sequence) = (disk.name, disk.diskSequence) }
    }

    /// The stick's session on a thread of its own: user-data, preflight, write, verify, volume.
    /// Only the disk that arrived is written: one swapped for it at the same name since the look
    /// that found it (the next look would take it as a new stick) fails the preflight, as another
    /// disk than `--expect-*` names does.
    private func start(_ disk: Disk, site: String, userData: Result<StickUserData, any Error>, cancel: CancellationFlag) {
        let thread = Thread { [self] in
            let started = Date()
            var result = Finished(disk: disk, site: site, userData: try? userData.get(), seconds: 0)
            do {
                let stick = try userData.get()
                let session = WriteSession(
                    WriteConfiguration(imagePath: configuration.imagePath, devicePath: disk.path, checksum: configuration.checksum,
                                       userData: stick.volume, expectation: .arrived(disk)),
                    events: { [events] event in events(.session(event, site: site)) })
                result.image = try session.prepare().run(cancel: cancel).image
            } catch {
                result.failure = error as? any EdgeFlashError ?? EdgeError(.failure, "writing \(disk.path) failed: \(error)")
            }
            result.seconds = Date().timeIntervalSince(started)
            let done = result
            finished.withLock { $0.append(done) }
        }
        thread.name = "edgeflash-station-\(disk.name)"
        thread.start()
    }

    /// One flash log line per stick, whatever happened to it; the append's failure, if any.
    private func record(_ result: Finished, image: WrittenImage?) -> (any EdgeFlashError)? {
        var line = FlashRecord(version: configuration.version, operation: .station, device: result.disk.path,
                               failure: result.failure, seconds: result.seconds)
        line.describe(result.disk)
        line.describeImage(path: configuration.imagePath, size: image?.size, sha256: image?.sha256)
        line.site = result.site
        line.userDataSHA256 = result.userData?.sha256
        line.instanceID = result.userData?.instanceID
        do {
            try configuration.log.append(line)
            return nil
        } catch {
            let failure = error as? any EdgeFlashError ?? EdgeError(.io, "\(error)")
            events(.logFailed(failure))
            return failure
        }
    }

    /// The drives now, read from sysfs and mountinfo (no filesystem probing: arrival rests on the
    /// bus, the flags and the mounts, as the udev rule's answer does).
    private static func inventory() throws -> [Disk] {
        Inventory.disks(from: try SystemSnapshot.live(), probe: { _, _, _ in nil })
    }
}
