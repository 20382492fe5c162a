import ArgumentParser
import BuildStage
import DiskOps
import EdgeCore
import Foundation

/// The user-data flags shared by `inject` and `write --user-data`: what to put on the volume and how.
struct UserDataOptions: ParsableArguments {
    @Option(name: .customLong("user-data"), help: ArgumentHelp("The site's user-data (#cloud-config YAML), or a Mustache template with --sites.", valueName: "file"))
    var userData: String?

    @Option(name: .customLong("meta-data"), help: ArgumentHelp("A meta-data file to put beside it.", valueName: "file"))
    var metaData: String?

    @Option(name: .customLong("instance-id"), help: "The instance-id written to meta-data (default: derived from the user-data's hash; write with --sites: the site and the stick's serial).")
    var instanceID: String?

    @Option(name: .customLong("fs"), help: "The volume's filesystem: vfat (FAT32, label CIDATA) or iso9660 (label cidata).")
    var fileSystem: InjectionRequest.FileSystem = .vfat

    @Option(name: .customLong("size"), help: ArgumentHelp("The volume's size, like 64M or 1G (default: 64M for vfat, the ISO's size for iso9660).", valueName: "size"))
    var size: String?

    @Option(name: .customLong("sites"), help: ArgumentHelp("A sites.yaml or sites.csv with each site's values for the template.", valueName: "file"))
    var sites: String?

    @Option(name: .customLong("site"), help: ArgumentHelp("The site to render from --sites (write to several devices: once per device, in device order).", valueName: "name"))
    var site: [String] = []

    /// The combinations that make no sense (usage errors, exit 64). Checked by `prepare`, inside
    /// the commands' run, so `inject --json` can report them as a result object too.
    func checkCombination() throws {
        func usage(_ message: String, _ hint: String? = nil) -> EdgeError { EdgeError(.usage, message, hint: hint) }
        if metaData != nil && instanceID != nil {
            throw usage("--meta-data and --instance-id both set meta-data: give one")
        }
        if userData == nil, metaData != nil || instanceID != nil || sites != nil || !site.isEmpty || size != nil {
            throw usage("--meta-data, --instance-id, --sites, --site and --size need --user-data")
        }
        if let size, SizeArgument.bytes(size) == nil {
            throw usage("--size \(size) is not a size", "Use bytes or a number with K, M, G or T (powers of 1024), like 64M.")
        }
    }

    /// Loads, renders and validates the user-data of one target: everything that can fail before
    /// a write. Warnings go to stderr, scrubbed; errors throw.
    func prepare() throws -> SiteUserData? {
        try checkCombination()
        guard let userData else { return nil }
        if site.count > 1 {
            throw EdgeError(.usage, "--site is given \(site.count) times for one target", hint: "Give --site once.")
        }
        let files = try UserDataFiles.load(userDataPath: userData, metaDataPath: metaData, instanceID: instanceID,
                                           sitesPath: sites, site: site.first)
        return try validated(files, site: site.first)
    }

    /// The volume for `files` (one site's, or one stick's of a batch), its warnings shown once on
    /// stderr, scrubbed; throws when the user-data is invalid.
    func validated(_ files: UserDataFiles, site: String?) throws -> SiteUserData {
        let prepared = volume(files, site: site)
        for issue in prepared.warnings {
            let name = site.map { " (site \($0))" } ?? ""
            Terminal.writeStderr(prepared.volume.scrubber.scrub("edgeflash: " + issue.formatted(file: userData ?? "user-data") + name + "\n"))
        }
        try files.requireValid()
        return prepared
    }

    /// The volume a session adds for `files`, with the options' filesystem and size.
    func volume(_ files: UserDataFiles, site: String?) -> SiteUserData {
        SiteUserData(volume: UserDataVolume(files, fileSystem: fileSystem, size: size.flatMap(SizeArgument.bytes)),
                     files: files, site: site)
    }
}

extension UserDataVolume {
    /// The volume that holds `files` (user-data and meta-data): what write, inject and station add.
    init(_ files: UserDataFiles, fileSystem: InjectionRequest.FileSystem, size: Int64?) {
        let request = InjectionRequest(fileSystem: fileSystem, size: size,
                                       files: [FAT32Volume.File(name: "user-data", contents: Array(files.userData)),
                                               FAT32Volume.File(name: "meta-data", contents: Array(files.metaData))])
        self.init(request: request, secrets: files.secrets)
    }
}

/// Validated user-data: the volume a session adds (with the secrets it keeps out of messages), the
/// validator's warnings, scrubbed too, and what the flash log says of it.
struct SiteUserData: Sendable {
    let volume: UserDataVolume
    let warnings: [UserDataIssue]
    /// The site it was rendered for, if any.
    let site: String?
    let userDataSHA256: String
    /// The instance-id in its meta-data; nil when --meta-data gave a file of its own.
    let instanceID: String?

    init(volume: UserDataVolume, files: UserDataFiles, site: String?) {
        self.volume = volume
        self.site = site
        userDataSHA256 = files.userDataSHA256
        instanceID = files.instanceID
        warnings = files.report.issues.filter { $0.severity == .warning }.map { issue in
            var scrubbed = issue
            scrubbed.message = volume.scrubber.scrub(issue.message)
            return scrubbed
        }
    }
}

extension InjectionRequest.FileSystem: ExpressibleByArgument {}

/// Sizes on the command line: plain bytes, or K/M/G/T (powers of 1024, with optional "iB"/"B").
enum SizeArgument {
    static func bytes(_ text: String) -> Int64? {
        var digits = text.uppercased()
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) && digits.count > suffix.count { digits.removeLast(suffix.count); break }
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var multiplier: Int64 = 1
        if let last = digits.last, let unit = units[last] { multiplier = unit; digits.removeLast() }
        guard let value = Int64(digits), value > 0 else { return nil }
        // 99999999999T does not fit in 64 bits: not a size (rather than a crash).
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }
}
