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
        /// Nothing is being written: a stick may be inserted.
        case waiting
        /// A new drive the station does not write, and why.
        case passedOver(Disk, reason: String)
        case started(Disk, site: String)
        /// What the stick's session reports (progress, written, injected), with its site.
        case session(SessionEvent, site: String)
        case done(Disk, site: String, seconds: Double)
        case failed(Disk, site: String, error: any EdgeFlashError)
        /// A stick the station took was removed.
        case removed(device: String)
        /// The flash log could not be appended to: the result stands, but `--next` and later
        /// stations will not know of it.
        case logFailed(any EdgeFlashError)
    }

    public struct Summary: Sendable {
        public var done: [(device: String, site: String)] = []
        public var failed = 0
        public var interrupted = false
        /// Every site of the sites file has a stick.
        public var sitesExhausted = false
    }

    private let configuration: Configuration
    private let nextSite: (Set<String>) throws -> String?
    private let userData: (String, Disk) throws -> StickUserData
    private let events: @Sendable (Event) -> Void
    private let finished = Mutex<[Finished]>([])

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
    public init(_ configuration: Configuration, nextSite: @escaping (Set<String>) throws -> String?,
                userData: @escaping (String, Disk) throws -> StickUserData,
                events: @escaping @Sendable (Event) -> Void) {
        self.configuration = configuration
        self.nextSite = nextSite
        self.userData = userData
        self.events = events
    }

    /// Runs until `count` sticks are done, every site has a stick, or `cancel` is set (Ctrl-C);
    /// then waits for the sticks being written, which a cancel stops and leaves blank.
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
        let uevents = UeventSocket.open()
        var arrivals = DriveArrivals(present: try Self.inventory(), rules: configuration.rules)
        var running: [String: String] = [:]     // device name -> site
        var summary = Summary()
        events(.waiting)
        while true {
            for result in finished.withLock({ results in defer { results = [] }; return results }) {
                running[result.disk.name] = nil
                record(result, image: result.image ?? hashed)
                if let failure = result.failure {
                    summary.failed += 1
                    events(.failed(result.disk, site: result.site, error: failure))
                } else {
                    summary.done.append((result.disk.path, result.site))
                    events(.done(result.disk, site: result.site, seconds: result.seconds))
                }
            }
            let written = Set(summary.done.map(\.site))
            if cancel.isCancelled {
                summary.interrupted = true
                if running.isEmpty { break }
            } else if let count = configuration.count, summary.done.count >= count {
                if running.isEmpty { break }
            } else if try nextSite(written) == nil {
                summary.sitesExhausted = true
                if running.isEmpty { break }
            } else {
                let change = arrivals.update(try Self.inventory())
                for device in change.removed { events(.removed(device: "/dev/" + device)) }
                // Loop devices come and go with every test and demo on the machine: passed over silently.
                for (disk, reason) in change.passedOver where disk.transport != "loop" { events(.passedOver(disk, reason: reason)) }
                for disk in change.arrived {
                    let wanted = configuration.count.map { summary.done.count + running.count < $0 } ?? true
                    guard wanted, let site = try nextSite(written.union(running.values)) else {
                        events(.passedOver(disk, reason: wanted ? "every site has a stick or is being written" : "the station has all the sticks it was asked for"))
                        continue
                    }
                    running[disk.name] = site
                    events(.started(disk, site: site))
                    start(disk, site: site, userData: Result { try userData(site, disk) }, cancel: cancel)
                }
                if !change.removed.isEmpty, running.isEmpty, arrivals.plugged.isEmpty { events(.waiting) }
            }
            if let uevents { _ = uevents.waitForBlockEvent(seconds: 0.5) } else { Thread.sleep(forTimeInterval: 0.5) }
        }
        return summary
    }

    /// The stick's session on a thread of its own: user-data, preflight, write, verify, volume.
    private func start(_ disk: Disk, site: String, userData: Result<StickUserData, any Error>, cancel: CancellationFlag) {
        let thread = Thread { [self] in
            let started = Date()
            var result = Finished(disk: disk, site: site, userData: try? userData.get(), seconds: 0)
            do {
                let stick = try userData.get()
                let session = WriteSession(
                    WriteConfiguration(imagePath: configuration.imagePath, devicePath: disk.path, checksum: configuration.checksum,
                                       userData: stick.volume),
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

    /// One flash log line per stick, whatever happened to it.
    private func record(_ result: Finished, image: WrittenImage?) {
        var line = FlashRecord(version: configuration.version, operation: .station, device: result.disk.path,
                               failure: result.failure, seconds: result.seconds)
        line.describe(result.disk)
        line.describeImage(path: configuration.imagePath, size: image?.size, sha256: image?.sha256)
        line.site = result.site
        line.userDataSHA256 = result.userData?.sha256
        line.instanceID = result.userData?.instanceID
        do {
            try configuration.log.append(line)
        } catch {
            events(.logFailed(error as? any EdgeFlashError ?? EdgeError(.io, "\(error)")))
        }
    }

    /// The drives now, read from sysfs and mountinfo (no filesystem probing: arrival rests on the
    /// bus, the flags and the mounts, as the udev rule's answer does).
    private static func inventory() throws -> [Disk] {
        Inventory.disks(from: try SystemSnapshot.live(), probe: { _, _, _ in nil })
    }
}
