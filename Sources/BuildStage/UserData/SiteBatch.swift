import EdgeCore
import Foundation

/// A user-data template and a sites file: each stick of a batch gets one site's rendered user-data
/// and a meta-data whose instance-id names the site and the stick (`UserDataFiles.instanceID`).
/// Used by `write` with several devices and by `station`.
public struct SiteBatch {
    public let templatePath: String
    public let catalog: SiteCatalog
    private let template: Data
    private let sites: Data

    public init(templatePath: String, sitesPath: String) throws {
        try self.init(template: UserDataFiles.read(templatePath, what: "user-data"), templatePath: templatePath,
                      sites: UserDataFiles.read(sitesPath, what: "sites file"), sitesPath: sitesPath)
    }

    init(template: Data, templatePath: String, sites: Data, sitesPath: String) throws {
        self.template = template
        self.templatePath = templatePath
        self.sites = sites
        do {
            catalog = try SiteCatalog(data: sites, file: sitesPath)
        } catch let error as EdgeError {
            throw Self.scrub(error, template: template, sites: sites)
        }
    }

    /// The first `count` sites, in file order, that are not in `done` (sites the flash log has a
    /// successful stick for). Fewer left than asked is an error, before anything is written.
    public func nextSites(_ count: Int, done: Set<String>) throws -> [String] {
        let left = catalog.order.filter { !done.contains($0) }
        guard left.count >= count else {
            throw EdgeError(.refused, "\(catalog.file) has \(left.count) site\(left.count == 1 ? "" : "s") without a written stick, and \(count) were asked for",
                            hint: left.isEmpty ? "Every site has a stick: see `edgeflash log`." : "Left: \(left.joined(separator: ", ")).")
        }
        return Array(left.prefix(count))
    }

    /// The user-data of `site`, rendered (not yet validated).
    public func render(site: String) throws -> Data {
        do {
            return try SiteTemplate(data: template, file: templatePath).render(site: site, values: catalog.values(for: site))
        } catch let error as EdgeError {
            throw Self.scrub(error, template: template, sites: sites)
        }
    }

    /// The files for one stick: `site`'s user-data, validated, and meta-data with the stick's
    /// instance-id (`serial` nil: a random suffix).
    public func files(site: String, serial: String?) throws -> UserDataFiles {
        try files(site: site, instanceID: UserDataFiles.instanceID(site: site, serial: serial))
    }

    /// `site`'s user-data, validated, with meta-data from `metaDataPath`, else `instanceID`.
    func files(site: String, metaDataPath: String? = nil, instanceID: String?) throws -> UserDataFiles {
        let userData = try render(site: site)
        let rendered = RenderedSite(name: site, template: templatePath, sitesFile: catalog.file, entry: catalog.entries[site] ?? "")
        return try UserDataFiles.make(userData: userData, file: templatePath, metaDataPath: metaDataPath, instanceID: instanceID, site: rendered)
    }

    /// A template or sites file may hold secrets of its own, and an error may quote them.
    private static func scrub(_ error: EdgeError, template: Data, sites: Data) -> EdgeError {
        let secrets = [template, sites].flatMap { UserDataRedactor.secretValues(in: String(decoding: $0, as: UTF8.self)) }
        return EdgeError(rewording: error, message: UserDataRedactor.scrub(error.message, secrets: secrets),
                         hint: error.hint.map { UserDataRedactor.scrub($0, secrets: secrets) })
    }
}
