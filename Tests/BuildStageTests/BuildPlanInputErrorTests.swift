import Foundation
import Testing
import TestSupport
@testable import BuildStage

/// Bad input files, read from a real directory the way `build plan` reads them: each problem is
/// reported once, where it is, and never followed by a misleading second message.
struct BuildPlanInputErrorTests {
    static let arg = """
        CUSTOM_TAG=demo
        IMAGE_REGISTRY=ttl.sh
        OS_DISTRIBUTION=ubuntu
        IMAGE_REPO=$OS_DISTRIBUTION
        OS_VERSION=22.04
        K8S_DISTRIBUTION=k3s
        ISO_NAME=palette-edge-installer
        PE_VERSION=v4.4.12
        """

    static func plan(k8sVersions json: String?, arg: String = arg) throws -> [String] {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-plan")
        defer { try? FileManager.default.removeItem(at: dir) }
        try arg.write(to: dir.appendingPathComponent(".arg"), atomically: true, encoding: .utf8)
        if let json {
            try json.write(to: dir.appendingPathComponent("k8s_version.json"), atomically: true, encoding: .utf8)
        }
        let plan = BuildPlan.make(.init(argPath: dir.appendingPathComponent(".arg").path, environment: [:]))
        return plan.issues.map { $0.formatted.replacingOccurrences(of: dir.path + "/", with: "") }
    }

    /// Was: a malformed k8s_version.json beside .arg also produced "no k8s_version.json was given".
    @Test(arguments: ["{\"k3s\": [\"1.27.2\",\n}", "[]"])
    func unusableTableIsReportedOnlyOnce(_ json: String) throws {
        let issues = try Self.plan(k8sVersions: json)
        #expect(issues.count == 1)
        #expect(issues.first?.hasPrefix("k8s_version.json") == true)
        #expect(!issues.contains { $0.contains("no k8s_version.json was given") })
    }

    @Test func noTableAtAllStillSaysSo() throws {
        let issues = try Self.plan(k8sVersions: nil)
        #expect(issues.contains { $0.contains("no k8s_version.json was given") })
    }

    /// Was: `"k3s": "1.27.2"` also produced `has no versions for K8S_DISTRIBUTION k3s (allowed: )`.
    @Test func malformedEntryIsNotReportedAgainAsMissing() throws {
        let issues = try Self.plan(k8sVersions: #"{"k3s": "1.27.2"}"#)
        #expect(issues == [#"k8s_version.json: error: "k3s" must be a flat array of version strings like "1.27.2""#])
    }

    /// Was: "malformed JSON: Invalid value around character 18." with no line.
    @Test func malformedJSONNamesTheLine() throws {
        let issues = try Self.plan(k8sVersions: "{\n  \"k3s\": [\"1.27.2\"]\n  \"rke2\": []\n}")
        #expect(issues.first?.hasPrefix("k8s_version.json:3: error: malformed JSON") == true)
    }

    /// Was: `ISO_NAME=` said the empty name "has characters a file name here may not have".
    @Test func emptyISONameSaysEmpty() throws {
        let issues = try Self.plan(k8sVersions: #"{"k3s": ["1.27.2"]}"#, arg: Self.arg + "\nISO_NAME=")
        #expect(issues.contains { $0.hasPrefix(".arg:9: error: ISO_NAME is empty") })
    }

    /// Was: `FIPS_ENABLED = false` warned about an "unquoted space in the value" without naming the cause.
    @Test func spaceAfterEqualsIsNamed() throws {
        let issues = try Self.plan(k8sVersions: #"{"k3s": ["1.27.2"]}"#, arg: Self.arg + "\nFIPS_ENABLED = false")
        #expect(issues.contains { $0.hasPrefix(".arg:9: warning: a space after '=' leaves the value empty") })
    }
}
