import Foundation

/// `k8s_version.json`: the Kubernetes versions CanvOS builds, per distribution
/// (`{"k3s": ["1.27.2", ...], "rke2": [...]}`).
public struct K8sVersionTable: Sendable, Equatable {
    public var file: String
    public var versions: [String: [String]]
    /// Distributions whose entry is not a flat array: already reported, so not reported again as "no versions".
    public var malformed: Set<String> = []

    public init(file: String, versions: [String: [String]]) {
        self.file = file
        self.versions = versions
    }

    /// Parses and checks the shape: an object of flat arrays of `x.y.z` strings. Problems come back
    /// as issues naming the file, so they are shown with the `.arg` problems, all at once.
    public static func parse(_ data: Data, file: String) -> (table: K8sVersionTable?, issues: [BuildIssue]) {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "not valid JSON"
            return (nil, [BuildIssue(.error, file: file, line: errorLine(reason, in: data), "malformed JSON: \(reason)")])
        }
        guard let dictionary = object as? [String: Any] else {
            return (nil, [BuildIssue(.error, file: file, "expected a JSON object keyed by Kubernetes distribution",
                                     allowed: KnownArguments.k8sDistributions.joined(separator: ", "))])
        }
        var issues: [BuildIssue] = []
        var versions: [String: [String]] = [:]
        var malformed: Set<String> = []
        for (distribution, value) in dictionary.sorted(by: { $0.key < $1.key }) {
            if !KnownArguments.k8sDistributions.contains(distribution) {
                issues.append(BuildIssue(.warning, file: file, key: distribution,
                    "unknown Kubernetes distribution \"\(distribution)\"",
                    allowed: KnownArguments.k8sDistributions.joined(separator: ", ")))
            }
            guard let list = value as? [Any] else {
                issues.append(BuildIssue(.error, file: file, key: distribution,
                    "\"\(distribution)\" must be a flat array of version strings like \"1.27.2\""))
                malformed.insert(distribution)
                continue
            }
            var strings: [String] = []
            for item in list {
                guard let version = item as? String, SemanticVersion.isPatchRelease(version) else {
                    issues.append(BuildIssue(.error, file: file, key: distribution,
                        "\"\(distribution)\" lists \(item) which is not an x.y.z version string"))
                    continue
                }
                strings.append(version)
            }
            versions[distribution] = strings
        }
        var table = K8sVersionTable(file: file, versions: versions)
        table.malformed = malformed
        return (table, issues)
    }

    /// Foundation names the byte offset ("around character 18"), not the line: turn it into the line,
    /// so the problem reads file:line like every other one.
    static func errorLine(_ reason: String, in data: Data) -> Int? {
        guard let range = reason.range(of: "character ") else { return nil }
        guard let offset = Int(reason[range.upperBound...].prefix(while: \.isASCIIDigit)) else { return nil }
        return data.prefix(offset).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }
}

enum SemanticVersion {
    /// `x.y.z`, digits only: the format CanvOS's K8S_VERSION and k8s_version.json use.
    static func isPatchRelease(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isLowercaseAlphanumeric: Bool { isASCII && (isNumber || isLowercase) }
}
