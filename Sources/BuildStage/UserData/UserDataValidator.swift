import Foundation
import Yams

/// One finding about a user-data file. The message names keys and positions, never a value, so a
/// report can be printed or sent as JSON without leaking a secret.
public struct UserDataIssue: Sendable, Codable, Equatable {
    public enum Severity: String, Sendable, Codable { case error, warning }
    public var severity: Severity
    public var line: Int?
    public var column: Int?
    public var message: String        // never contains a secret value

    public init(severity: Severity, line: Int? = nil, column: Int? = nil, message: String) {
        self.severity = severity
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: error: message`, the shape compilers and editors understand.
    public func formatted(file: String) -> String {
        var place = file
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return "\(place): \(severity.rawValue): \(message)"
    }
}

public struct UserDataReport: Sendable, Codable {
    public var file: String
    public var issues: [UserDataIssue]
    public var isValid: Bool { !issues.contains { $0.severity == .error } }

    public init(file: String, issues: [UserDataIssue]) {
        self.file = file
        self.issues = issues
    }
}

/// Checks a site user-data file the way the Edge installer will read it: before anything is written.
public enum UserDataValidator {
    /// The installer ignores user-data files of this size or more.
    public static let maximumSize = 1 << 20

    /// Messages name keys, and a secret can be a key too (or anything else a message quotes): they
    /// are scrubbed of the document's secrets here, for every command that prints them.
    public static func validate(_ data: Data, file: String) -> UserDataReport {
        let found = issues(in: data)
        guard !found.isEmpty, data.count < maximumSize else { return UserDataReport(file: file, issues: found) }
        let secrets = UserDataRedactor.secretValues(in: String(decoding: data, as: UTF8.self))
        return UserDataReport(file: file, issues: found.map { issue in
            var scrubbed = issue
            scrubbed.message = UserDataRedactor.scrub(issue.message, secrets: secrets)
            return scrubbed
        })
    }

    static func issues(in data: Data) -> [UserDataIssue] {
        if data.count >= maximumSize {
            return [.init(severity: .error, message: "user-data is \(data.count) bytes; the installer ignores files of 1 MiB or more")]
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return [.init(severity: .error, message: "user-data is not UTF-8 text")]
        }
        var found: [UserDataIssue] = []
        let firstLine = TextLines.split(text).first ?? ""
        if firstLine.trimmingCharacters(in: .whitespacesAndNewlines) != "#cloud-config" {
            found.append(.init(severity: .error, line: 1, column: 1,
                               message: "the first line must be '#cloud-config' (the installer skips the file otherwise)"))
        }
        if let bomb = YAMLScan(text).aliasLimitExceeded {
            found.append(.init(severity: .error, line: bomb.line, column: bomb.column, message: bomb.message))
            return found
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            found.append(yamlIssue(error))
            return found
        }
        guard let root, let top = root.mapping else {
            found.append(.init(severity: .error, line: root?.mark?.line, column: root?.mark?.column,
                               message: "user-data must be a YAML mapping (key: value) at the top level"))
            return found
        }
        var checker = SiteChecker()
        checker.check(top: top, root: root)
        return found + checker.issues
    }

    /// A YAML syntax error with its position; only libyaml's problem text, never the snippet (which
    /// could quote a secret).
    private static func yamlIssue(_ error: Error) -> UserDataIssue {
        switch error {
        case let YamlError.scanner(context, problem, mark, _),
             let YamlError.parser(context, problem, mark, _),
             let YamlError.composer(context, problem, mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return .init(severity: .error, line: mark.line, column: mark.column, message: "invalid YAML: \(prefix)\(problem)")
        case let YamlError.reader(problem, _, _, _):
            return .init(severity: .error, message: "invalid YAML: \(problem)")
        default:
            return .init(severity: .error, message: "invalid YAML")
        }
    }
}

/// The type checks on `stylus.*`, one key at a time, collecting every issue rather than stopping at
/// the first.
struct SiteChecker {
    var issues: [UserDataIssue] = []

    mutating func check(top: Node.Mapping, root: Node) {
        guard let stylus = top["stylus"] else {
            error(at: root, "'stylus.site' is missing: the installer needs 'edgeHostToken' or 'registrationURL' under it")
            return
        }
        guard let stylusMap = mapping(stylus, "stylus") else { return }
        if let credentials = stylusMap["registryCredentials"] { checkCredentials(credentials) }
        guard let site = stylusMap["site"] else {
            error(at: stylus, "'stylus.site' is missing: the installer needs 'edgeHostToken' or 'registrationURL' under it")
            return
        }
        guard let siteMap = mapping(site, "stylus.site") else { return }
        for key in ["edgeHostToken", "registrationURL", "paletteEndpoint", "projectName", "projectUid", "name", "hostName"] {
            if let value = siteMap[key] { _ = string(value, "stylus.site.\(key)") }
        }
        if siteMap["edgeHostToken"] == nil && siteMap["registrationURL"] == nil {
            error(at: site, "'stylus.site' needs 'edgeHostToken' or 'registrationURL'")
        }
        if siteMap["edgeHostToken"] != nil, siteMap["projectName"] == nil, siteMap["projectUid"] == nil {
            warning(at: site, "'stylus.site.projectName' is absent: registration fails unless the token has a default project")
        }
        if let node = siteMap["paletteEndpoint"], node.tag.rawValue == Tag.Name.str.rawValue, let endpoint = node.string,
           let problem = EndpointSyntax.problem(endpoint) {
            error(at: node, "'stylus.site.paletteEndpoint' must be a host name, like api.spectrocloud.com (or host:port): \(problem)")
        }
        if let tags = siteMap["tags"] { checkTags(tags) }
        if let network = siteMap["network"] { checkNetwork(network) }
        if let install = top["install"] { checkInstall(install) }
        if let users = top["users"], users.sequence == nil {
            error(at: users, "'users' must be a list")
        }
    }

    private mutating func checkCredentials(_ node: Node) {
        guard let map = mapping(node, "stylus.registryCredentials") else { return }
        for key in ["domain", "username", "password"] {
            if let value = map[key] { _ = string(value, "stylus.registryCredentials.\(key)") }
        }
        if let insecure = map["insecure"] { bool(insecure, "stylus.registryCredentials.insecure") }
    }

    private mutating func checkTags(_ node: Node) {
        guard let map = mapping(node, "stylus.site.tags") else { return }
        for (key, value) in map {
            let name = key.string ?? "?"
            guard value.scalar != nil, value.tag.rawValue == Tag.Name.str.rawValue else {
                error(at: value, "tag '\(name)' must be a string (quote it)")
                continue
            }
        }
    }

    private mutating func checkNetwork(_ node: Node) {
        guard let network = mapping(node, "stylus.site.network") else { return }
        for key in ["httpProxy", "httpsProxy", "noProxy"] {
            if let value = network[key] { _ = string(value, "stylus.site.network.\(key)") }
        }
        if let nameserver = network["nameserver"] { checkAddress(nameserver, "stylus.site.network.nameserver") }
        guard let interfacesNode = network["interfaces"] else { return }
        guard let interfaces = mapping(interfacesNode, "stylus.site.network.interfaces") else { return }
        for (key, value) in interfaces {
            let path = "stylus.site.network.interfaces.\(key.string ?? "?")"
            guard let nic = mapping(value, path) else { continue }
            let type = nic["type"]?.string ?? "dhcp"
            guard type == "dhcp" || type == "static" else {
                error(at: nic["type"]!, "'\(path).type' must be 'dhcp' or 'static'")
                continue
            }
            if let ns = nic["nameserver"] { checkAddress(ns, "\(path).nameserver") }
            guard type == "static" else { continue }
            if let ip = nic["ipAddress"] {
                if let text = string(ip, "\(path).ipAddress"), !IPAddressSyntax.isCIDR(text) {
                    error(at: ip, "'\(path).ipAddress' must be an address with a prefix length, like 10.0.0.5/24")
                }
            } else {
                error(at: value, "static interface '\(path)' needs 'ipAddress' (CIDR, like 10.0.0.5/24)")
            }
            if let gateway = nic["gateway"] {
                checkAddress(gateway, "\(path).gateway")
            } else {
                error(at: value, "static interface '\(path)' needs 'gateway'")
            }
        }
    }

    private mutating func checkInstall(_ node: Node) {
        guard let install = mapping(node, "install") else { return }
        for key in ["poweroff", "reboot"] {
            if let value = install[key] { bool(value, "install.\(key)") }
        }
        if let device = install["device"] { _ = string(device, "install.device") }
    }

    private mutating func checkAddress(_ node: Node, _ path: String) {
        if let text = string(node, path), !IPAddressSyntax.isAddress(text) {
            error(at: node, "'\(path)' must be an IPv4 or IPv6 address")
        }
    }

    // MARK: typed accessors that record an issue when the type is wrong

    private mutating func mapping(_ node: Node, _ path: String) -> Node.Mapping? {
        if let map = node.mapping { return map }
        error(at: node, "'\(path)' must be a mapping (key: value)")
        return nil
    }

    private mutating func string(_ node: Node, _ path: String) -> String? {
        if node.scalar != nil, node.tag.rawValue == Tag.Name.str.rawValue { return node.string }
        error(at: node, "'\(path)' must be a string")
        return nil
    }

    private mutating func bool(_ node: Node, _ path: String) {
        if node.scalar != nil, node.tag.rawValue == Tag.Name.bool.rawValue { return }
        error(at: node, "'\(path)' must be true or false")
    }

    private mutating func error(at node: Node, _ message: String) {
        issues.append(.init(severity: .error, line: node.mark?.line, column: node.mark?.column, message: message))
    }

    private mutating func warning(at node: Node, _ message: String) {
        issues.append(.init(severity: .warning, line: node.mark?.line, column: node.mark?.column, message: message))
    }
}
