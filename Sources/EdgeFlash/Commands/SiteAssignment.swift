import BuildStage
import DiskOps
import EdgeCore
import Foundation

/// Which user-data each device of a `write` gets: none, the same volume on every device (a plain
/// `--user-data`), or each its own site from `--sites`: `--site` once per device in device order,
/// or `--next` (the next sites in file order that the flash log has no good stick for). A stick's
/// volume is made once its disk is accepted, so its instance-id names the site and the stick's serial.
final class SiteAssignment: @unchecked Sendable {
    /// The site of each device, in device order; nil without --sites.
    let sites: [String?]
    private let same: SiteUserData?
    private let batch: SiteBatch?
    private let options: UserDataOptions
    private let lock = NSLock()
    private var issued: [Int: SiteUserData] = [:]

    init(_ options: UserDataOptions, devices: [String], next: Bool, log: FlashLog) throws {
        self.options = options
        try options.checkCombination()
        func usage(_ message: String, _ hint: String? = nil) -> EdgeError { EdgeError(.usage, message, hint: hint) }
        let perStick = options.sites != nil && options.metaData == nil && options.instanceID == nil
        if next && options.sites == nil {
            throw usage("--next needs --user-data TEMPLATE --sites FILE", "It takes the next sites of the sites file that the flash log has no good stick for.")
        }
        if next && !options.site.isEmpty { throw usage("--next and --site both pick the sites: give one") }
        if devices.count > 1 && options.sites != nil && !perStick {
            throw usage("--meta-data and --instance-id would give every stick the same instance-id: leave them out with several devices",
                        "Each stick's instance-id is its site and its serial.")
        }
        guard let userDataPath = options.userData else {
            (sites, same, batch) = (devices.map { _ in nil }, nil, nil)
            return
        }
        guard perStick, let sitesPath = options.sites else {
            if devices.count > 1 && !options.site.isEmpty { throw usage("--site needs --sites FILE") }
            (sites, same, batch) = (devices.map { _ in options.site.first }, try options.prepare(), nil)
            return
        }
        let batch = try SiteBatch(templatePath: userDataPath, sitesPath: sitesPath)
        let names: [String]
        if next {
            names = try batch.nextSites(devices.count, done: log.read().sitesDone)
        } else {
            guard options.site.count == devices.count else {
                throw usage("\(devices.count) device\(devices.count == 1 ? "" : "s") and \(options.site.count) --site: give one --site per device, in device order, or --next",
                            "Sites in \(sitesPath): \(batch.catalog.order.joined(separator: ", ")).")
            }
            names = options.site
        }
        // Every site is rendered and validated now, before any disk is looked at; the stick's own
        // instance-id is filled in once its disk is accepted.
        for (index, name) in names.enumerated() where !names[..<index].contains(name) {
            _ = try options.validated(try batch.files(site: name, serial: nil), site: name)
        }
        (sites, same, self.batch) = (names, nil, batch)
    }

    /// The volume every device gets, when they all get the same.
    var sameVolume: UserDataVolume? { same?.volume }

    /// Makes device `index`'s volume for its accepted disk (nil when it gets none, or the same).
    func volumeForDisk(at index: Int) -> (@Sendable (Disk) throws -> UserDataVolume)? {
        guard batch != nil, let site = sites[index] else { return nil }
        return { [self] disk in try self.issue(site: site, to: disk, at: index) }
    }

    private func issue(site: String, to disk: Disk, at index: Int) throws -> UserDataVolume {
        let prepared = options.volume(try batch!.files(site: site, serial: disk.serial), site: site)
        lock.withLock { issued[index] = prepared }
        return prepared.volume
    }

    /// What device `index` was given (for the flash log and the JSON result).
    func userData(at index: Int) -> SiteUserData? {
        lock.withLock { issued[index] } ?? same
    }
}
