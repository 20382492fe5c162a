import Foundation
import Testing
@testable import BuildStage

struct K8sVersionTableTests {
    static func parse(_ json: String) -> (table: K8sVersionTable?, issues: [BuildIssue]) {
        K8sVersionTable.parse(Data(json.utf8), file: "k8s_version.json")
    }

    @Test func parsesTheCanvOSShape() {
        let result = Self.parse(#"{"k3s": ["1.26.4", "1.27.2"], "rke2": ["1.27.2"], "kubeadm": []}"#)
        #expect(result.issues.isEmpty)
        #expect(result.table?.versions["k3s"] == ["1.26.4", "1.27.2"])
        #expect(result.table?.versions["kubeadm"] == [])
    }

    @Test func malformedJSONNamesTheFile() throws {
        let issue = try #require(Self.parse(#"{"k3s": ["1.27.2",]"#).issues.first)
        #expect(issue.severity == .error)
        #expect(issue.formatted.hasPrefix("k8s_version.json: error: malformed JSON"))
    }

    @Test(arguments: [#"["1.27.2"]"#, #"{"k3s": "1.27.2"}"#, #"{"k3s": [["1.27.2"]]}"#, #"{"k3s": ["1.27"]}"#, #"{"k3s": [1.27]}"#])
    func wrongShapesAreErrors(_ json: String) {
        #expect(Self.parse(json).issues.contains { $0.severity == .error && $0.file == "k8s_version.json" })
    }

    @Test func unknownDistributionIsAWarningWithTheAllowedOnes() throws {
        let issue = try #require(Self.parse(#"{"k3z": ["1.27.2"]}"#).issues.first)
        #expect(issue.severity == .warning)
        #expect(issue.message == "unknown Kubernetes distribution \"k3z\"")
        #expect(issue.allowed?.contains("k3s") == true)
    }
}
