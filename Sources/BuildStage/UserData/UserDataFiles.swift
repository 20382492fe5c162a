import Crypto
import EdgeCore
import Foundation

/// The files that go on the user-data volume, loaded (or rendered from a site template) and
/// validated, so a caller can refuse before writing a single byte.
public struct UserDataFiles: Sendable {
    public var userData: Data
    public var metaData: Data
    public var report: UserDataReport
    /// The secret values in the user-data, to scrub from anything printed.
    public var secrets: [String]
    /// The instance-id in `metaData`; nil when a meta-data file was given as it is.
    public var instanceID: String?
    /// The site it was rendered for from a template; nil for a plain user-data file.
    public var site: RenderedSite?

    /// Loads `userDataPath` (a template when `sites`/`site` are given), validates it, and builds
    /// `meta-data` from `metaDataPath`, else from `instanceID`, else from the user-data's hash.
    public static func load(userDataPath: String, metaDataPath: String? = nil, instanceID: String? = nil,
                            sitesPath: String? = nil, site: String? = nil) throws -> UserDataFiles {
        let userData = try read(userDataPath, what: "user-data")
        if let sitesPath {
            guard let site else {
                throw EdgeError(.malformed, "--sites needs --site NAME to pick the site to render")
            }
            return try SiteBatch(template: userData, templatePath: userDataPath, sites: read(sitesPath, what: "sites file"),
                                 sitesPath: sitesPath).files(site: site, metaDataPath: metaDataPath, instanceID: instanceID)
        } else if site != nil {
            throw EdgeError(.malformed, "--site needs --sites FILE (the sites.yaml or sites.csv to read it from)")
        }
        return try make(userData: userData, file: userDataPath, metaDataPath: metaDataPath, instanceID: instanceID)
    }

    /// Validates `userData` (rendered for `site`, if any) and builds its meta-data.
    static func make(userData: Data, file: String, metaDataPath: String? = nil, instanceID: String? = nil,
                     site: RenderedSite? = nil) throws -> UserDataFiles {
        let report = UserDataValidator.validate(userData, file: file)
        let metaData: Data
        var id: String?
        if let metaDataPath {
            metaData = try read(metaDataPath, what: "meta-data")
        } else {
            id = instanceID ?? defaultInstanceID(for: userData)
            metaData = Data("instance-id: \(id!)\n".utf8)
        }
        return UserDataFiles(userData: userData, metaData: metaData, report: report,
                             secrets: UserDataRedactor.secretValues(in: String(decoding: userData, as: UTF8.self)),
                             instanceID: id, site: site)
    }

    /// SHA-256 of the user-data, hex: names a site's data in the flash log without showing it.
    public var userDataSHA256: String { Self.sha256(of: userData) }

    /// SHA-256 of user-data as it lies on a stick (what `check` looks up in the log), hex.
    public static func sha256(of userData: Data) -> String {
        SHA256.hash(data: userData).map { String(format: "%02x", $0) }.joined()
    }

    /// Changes whenever the user-data does, so cloud-init style consumers treat new data as new.
    public static func defaultInstanceID(for userData: Data) -> String {
        "iid-edgeflash-" + SHA256.hash(data: userData).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The instance-id of one stick of a batch: the site's name and the stick's serial, so a spare
    /// stick for the same site is still another instance; a random suffix when it has no serial.
    public static func instanceID(site: String, serial: String?) -> String {
        let suffix = serial.flatMap { $0.isEmpty ? nil : $0 } ?? String(UInt32.random(in: .min ... .max), radix: 16)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        return String("\(site)-\(suffix)".map { allowed.contains($0) ? $0 : "-" })
    }

    /// The instance-id a meta-data file gives (its `instance-id:` line); nil when it has none.
    public static func instanceID(inMetaData metaData: Data) -> String? {
        String(decoding: metaData, as: UTF8.self).split(separator: "\n").lazy.compactMap { line -> String? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "instance-id" else { return nil }
            return parts[1].trimmingCharacters(in: .whitespaces)
        }.first
    }

    /// Throws the validation errors (not the warnings) as one invalid-input error. Rendered for a
    /// site, it names the site (the template may be fine for every other) and the command that
    /// renders and validates that site alone; positions are in the rendered user-data.
    public func requireValid() throws {
        guard report.isValid else {
            let lines = report.issues.filter { $0.severity == .error }.map { $0.formatted(file: report.file) }
            let what = site.map { "the user-data of \($0.description), rendered from \($0.template), is invalid (lines as rendered)" }
                ?? "user-data is invalid"
            throw EdgeError.userDataInvalid("\(what), nothing was written:\n  " + lines.joined(separator: "\n  "),
                                            validate: site?.validateCommand)
        }
    }

    static func read(_ path: String, what: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EdgeError(.malformed, "cannot read the \(what) file \(path)")
        }
        return data
    }
}
