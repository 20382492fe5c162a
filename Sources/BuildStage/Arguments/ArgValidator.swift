import Foundation

/// Checks every build argument against what CanvOS accepts and reports all problems at once, each
/// with its file:line and the allowed values. Pure apart from `fileState`, which is injectable.
///
/// Messages name the argument and never quote its value: a value may come from the environment
/// (`CUSTOM_TAG=$CI_TOKEN`) or hold a password, and file:line shows where it is. The only values
/// said are those already checked to be one of the allowed names or an x.y.z version.
public struct ArgValidator: Sendable {
    /// Where relative paths in `.arg` (CLUSTERCONFIG, EDGE_CUSTOM_CONFIG) are resolved: the `.arg`'s directory.
    public var baseDirectory: String
    public var fileState: @Sendable (String) -> FileState
    /// false for `build iso`, which builds no provider image: K8S_VERSION and PE_VERSION are not needed.
    public var checksImageArguments: Bool

    public init(baseDirectory: String, checksImageArguments: Bool = true,
                fileState: @escaping @Sendable (String) -> FileState = FileState.of) {
        self.baseDirectory = baseDirectory
        self.checksImageArguments = checksImageArguments
        self.fileState = fileState
    }

    /// `k8sVersionsUnusable`: a k8s_version.json was given or found but could not be read or parsed;
    /// its own problem is already reported, so a missing table is not reported again as "not given".
    public func validate(_ argFile: ArgFile, arguments: BuildArguments, k8sVersions: K8sVersionTable?,
                         k8sVersionsUnusable: Bool = false) -> [BuildIssue] {
        var issues = argFile.issues
        let file = arguments.file
        func report(_ key: String, _ message: String, allowed: String? = nil, _ severity: BuildIssue.Severity = .error) {
            let source = arguments.line(key) == nil && arguments.has(key) ? " (default)" : ""
            issues.append(BuildIssue(severity, file: file, line: arguments.line(key), key: key, message + source, allowed: allowed))
        }

        for entry in argFile.entries where !KnownArguments.all.contains(entry.key) {
            var message = "unknown argument \(entry.key) is ignored"
            if let guess = EditDistance.suggestion(for: entry.key, among: KnownArguments.all) {
                message += "; did you mean \(guess)?"
            }
            issues.append(BuildIssue(.warning, file: file, line: entry.line, key: entry.key, message))
        }

        let tag = arguments.customTag
        if !tag.isEmpty && !(tag.allSatisfy { $0.isLowercaseAlphanumeric || $0 == "-" } && tag.first != "-" && tag.last != "-") {
            report("CUSTOM_TAG", "CUSTOM_TAG is not lowercase alphanumeric", allowed: "lowercase letters and digits, '-' inside")
        }

        if let problem = RegistryName.problem(arguments.imageRegistry) {
            report("IMAGE_REGISTRY", "IMAGE_REGISTRY \(problem)",
                   allowed: "a registry host without http:// or https://, optionally :port and /path, no underscores, e.g. spectrocloud or registry.example.com:5000/edge")
        }

        let os = arguments.osDistribution
        if !KnownArguments.osDistributions.contains(os) {
            report("OS_DISTRIBUTION", "OS_DISTRIBUTION is not supported", allowed: KnownArguments.osDistributions.joined(separator: ", "))
        } else if KnownArguments.distributionsNeedingBaseImage.contains(os) && !arguments.has("BASE_IMAGE") {
            report("OS_DISTRIBUTION", "OS_DISTRIBUTION \(os) needs BASE_IMAGE set to your \(os) base image")
        }

        let repo = arguments.imageRepo
        if repo.isEmpty || !repo.allSatisfy({ $0.isLowercaseAlphanumeric || "._-/".contains($0) }) || repo.hasPrefix("/") || repo.hasSuffix("/") {
            report("IMAGE_REPO", "IMAGE_REPO is not a valid repository name", allowed: "lowercase letters, digits, '.', '_', '-' and '/'")
        }

        if let versions = KnownArguments.osVersions[os] {
            let version = arguments.osVersion
            if !(version.isEmpty && os != "ubuntu") && !versions.contains(version) {
                report("OS_VERSION", "OS_VERSION is not available for \(os)", allowed: versions.joined(separator: ", "))
            }
        }

        let k8s = arguments.k8sDistribution
        let k8sKnown = KnownArguments.k8sDistributions.contains(k8s)
        if !k8sKnown {
            report("K8S_DISTRIBUTION", "K8S_DISTRIBUTION is not supported", allowed: KnownArguments.k8sDistributions.joined(separator: ", "))
        }
        if checksImageArguments {
            issues += checkK8sVersion(arguments, table: k8sVersions, distributionKnown: k8sKnown,
                                      tableUnusable: k8sVersionsUnusable)
            let tags = ProviderImageMatrix.images(arguments, k8sVersions: k8sVersions)
                .map { ProviderImageMatrix.tag(arguments, k8sVersion: $0.k8sVersion) }
            if let longest = tags.max(by: { $0.count < $1.count }), longest.count > ProviderImageMatrix.maximumTagLength {
                let room = ProviderImageMatrix.maximumTagLength - (longest.count - tag.count)
                report("CUSTOM_TAG", "CUSTOM_TAG makes the provider image tag \(longest.count) characters long; registries refuse tags over \(ProviderImageMatrix.maximumTagLength)",
                       allowed: room > 0 ? "at most \(room) characters with this K8S_DISTRIBUTION, K8S_VERSION and PE_VERSION" : nil)
            }
        }

        let isoName = arguments.isoName
        if isoName.isEmpty {
            report("ISO_NAME", "ISO_NAME is empty; it names the installer ISO file", allowed: "lowercase letters, digits, '-' and '_', e.g. palette-edge-installer")
        } else if !isoName.allSatisfy({ $0.isLowercaseAlphanumeric || $0 == "-" || $0 == "_" }) {
            report("ISO_NAME", "ISO_NAME has characters a file name here may not have", allowed: "lowercase letters, digits, '-' and '_'")
        }
        if !KnownArguments.architectures.contains(arguments.arch) {
            report("ARCH", "ARCH is not supported", allowed: KnownArguments.architectures.joined(separator: ", "))
        }
        for key in KnownArguments.booleans where !["true", "false"].contains(arguments[key]) {
            report(key, "\(key) is not a boolean", allowed: "true, false")
        }

        for key in ["HTTP_PROXY", "HTTPS_PROXY"] where arguments.has(key) {
            if let problem = ProxyURL.problem(arguments[key]) {
                report(key, "\(key) \(problem)", allowed: "a URL such as http://proxy.example.com:3128")
            }
        }
        if arguments.has("NO_PROXY") {
            let entries = arguments["NO_PROXY"].split(separator: ",", omittingEmptySubsequences: false)
            if entries.contains(where: { $0.isEmpty || $0.contains(" ") }) {
                report("NO_PROXY", "NO_PROXY has an empty entry or a space", allowed: "comma-separated hosts, domains and CIDRs without spaces")
            }
        }
        if arguments.has("PROXY_CERT_PATH") {
            let path = arguments["PROXY_CERT_PATH"]
            if !path.hasPrefix("/") {
                report("PROXY_CERT_PATH", "PROXY_CERT_PATH is not an absolute path", allowed: "an absolute path to a PEM certificate")
            } else if let problem = fileState(path).problem {
                report("PROXY_CERT_PATH", "PROXY_CERT_PATH names a file that \(problem)")
            }
        }
        for key in BuildContextFile.keys where arguments.has(key) {
            if case .failure(let problem) = buildContextFile(arguments[key]) {
                report(key, "\(key) names a file that \(problem.reason)", allowed: problem.allowed)
            }
        }

        if !checksImageArguments {
            // build iso: the image tag arguments are not used.
        } else if !arguments.has("PE_VERSION") {
            issues.append(BuildIssue(.error, file: file, key: "PE_VERSION",
                "PE_VERSION is not set; it is part of every provider image tag",
                allowed: "PE_VERSION=v4.4.12 in .arg, or --pe-version v4.4.12"))
        } else if !PEVersion.isValid(arguments.peVersion) {
            report("PE_VERSION", "PE_VERSION is not a version", allowed: "vX.Y.Z, e.g. v4.4.12")
        }
        return issues
    }

    /// A path from `.arg`, absolute or relative to the `.arg`'s directory.
    public func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
    }

    /// The file CLUSTERCONFIG or EDGE_CUSTOM_CONFIG names, resolved inside the `.arg`'s directory.
    public func buildContextFile(_ path: String) -> Result<String, BuildContextFile.Problem> {
        BuildContextFile.resolve(path, baseDirectory: baseDirectory, fileState: fileState)
    }

    func checkK8sVersion(_ arguments: BuildArguments, table: K8sVersionTable?, distributionKnown: Bool,
                         tableUnusable: Bool = false) -> [BuildIssue] {
        let file = arguments.file, k8s = arguments.k8sDistribution
        let line = arguments.line("K8S_VERSION")
        if let version = arguments.k8sVersion, !SemanticVersion.isPatchRelease(version) {
            return [BuildIssue(.error, file: file, line: line, key: "K8S_VERSION",
                               "K8S_VERSION is not an x.y.z version", allowed: "x.y.z, e.g. 1.27.2")]
        }
        guard let table else {
            if arguments.k8sVersion == nil && !tableUnusable {
                return [BuildIssue(.error, file: file, key: "K8S_VERSION",
                    "K8S_VERSION is not set and no k8s_version.json was given, so there is nothing to build",
                    allowed: "K8S_VERSION=x.y.z in .arg, or --k8s-versions k8s_version.json")]
            }
            return []
        }
        guard distributionKnown, !table.malformed.contains(k8s) else { return [] }
        guard let listed = table.versions[k8s] else {
            return [BuildIssue(.error, file: table.file, key: k8s,
                "has no versions for K8S_DISTRIBUTION \(k8s)",
                allowed: table.versions.isEmpty ? nil : table.versions.keys.sorted().joined(separator: ", "))]
        }
        if let version = arguments.k8sVersion {
            if !listed.contains(version) {
                return [BuildIssue(.error, file: file, line: line, key: "K8S_VERSION",
                    "K8S_VERSION \(version) is not listed for \(k8s) in \(table.file)",
                    allowed: listed.joined(separator: ", "))]
            }
        } else if listed.isEmpty {
            return [BuildIssue(.error, file: table.file, key: k8s,
                "lists no versions for \(k8s) and K8S_VERSION is not set, so there is nothing to build")]
        }
        return []
    }
}

/// IMAGE_REGISTRY: `host[:port][/path]`, as the Docker reference grammar allows, minus underscores.
enum RegistryName {
    static func problem(_ text: String) -> String? {
        if text.isEmpty { return "is empty" }
        if text.contains("://") { return "has a scheme; give the host name only" }
        if text.contains("_") { return "has an underscore, which host names may not have" }
        if text.contains(where: { $0.isWhitespace }) { return "has a space" }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        var host = Substring(parts[0])
        if let colon = host.firstIndex(of: ":") {
            let port = host[host.index(after: colon)...]
            guard let number = Int(port), (1...65535).contains(number) else { return "has an invalid port" }
            host = host[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            if label.isEmpty { return "has an empty host name label" }
            if !label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) { return "has a character a host name may not have" }
            if label.first == "-" || label.last == "-" { return "has a host name label starting or ending with '-'" }
        }
        for component in parts.dropFirst() {
            if component.isEmpty { return "has an empty path component" }
            if !component.allSatisfy({ $0.isLowercaseAlphanumeric || $0 == "-" || $0 == "." }) {
                return "has a path component with characters other than lowercase letters, digits, '-' and '.'"
            }
        }
        return nil
    }
}

/// HTTP_PROXY/HTTPS_PROXY: a URL with a scheme and a host.
public enum ProxyURL {
    static func problem(_ text: String) -> String? {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased() else { return "is not a URL" }
        guard ["http", "https", "socks5", "socks5h"].contains(scheme) else { return "has a scheme other than http, https or socks5" }
        guard let host = url.host, !host.isEmpty else { return "has no host" }
        return nil
    }

    /// The URL with any password replaced, for messages and JSON (proxies can carry credentials).
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "REDACTED"
        return url.string ?? "REDACTED"
    }
}

enum PEVersion {
    /// v4.4.12, 4.4.12, v4.5.0-rc1.
    static func isValid(_ text: String) -> Bool {
        var core = Substring(text)
        if core.hasPrefix("v") { core = core.dropFirst() }
        if let dash = core.firstIndex(of: "-") {
            let suffix = core[core.index(after: dash)...]
            guard !suffix.isEmpty, suffix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else { return false }
            core = core[..<dash]
        }
        return SemanticVersion.isPatchRelease(String(core))
    }
}
