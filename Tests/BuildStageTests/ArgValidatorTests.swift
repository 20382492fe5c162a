import Foundation
import Testing
@testable import BuildStage

/// Validation against the rules FIELD.md lists, with a fixed file system so no test depends on the machine.
struct ArgValidatorTests {
    static let base = """
        CUSTOM_TAG=palette-learn
        IMAGE_REGISTRY=spectrocloud
        OS_DISTRIBUTION=ubuntu
        IMAGE_REPO=ubuntu
        OS_VERSION=22.04
        K8S_DISTRIBUTION=k3s
        K8S_VERSION=1.27.2
        ISO_NAME=palette-edge-installer
        ARCH=amd64
        PE_VERSION=v4.4.12
        """
    static let table = K8sVersionTable(file: "k8s_version.json", versions: ["k3s": ["1.26.4", "1.27.2"], "rke2": ["1.27.2"]])

    static func issues(_ text: String, table: K8sVersionTable? = table, images: Bool = true,
                       files: [String: FileState] = ["/etc/proxy.pem": .readableFile, "/etc": .directory, "/root/secret.pem": .unreadable,
                                                     "/work/edge.yaml": .readableFile]) -> [BuildIssue] {
        let argFile = ArgFile.parse(text, file: ".arg")
        let validator = ArgValidator(baseDirectory: "/work", checksImageArguments: images) { files[$0] ?? .missing }
        return validator.validate(argFile, arguments: BuildArguments(argFile), k8sVersions: table)
    }

    @Test func theGuideExampleIsValid() {
        #expect(Self.issues(Self.base).isEmpty)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var line: String
        var key: String
        var allowedContains: String?
        var testDescription: String { line }
    }

    /// Each bad line is appended as line 11 and must be reported on line 11 with its allowed values.
    @Test(arguments: [
        Bad(line: "CUSTOM_TAG=Palette", key: "CUSTOM_TAG", allowedContains: "lowercase"),
        Bad(line: "CUSTOM_TAG=palette_learn", key: "CUSTOM_TAG", allowedContains: "lowercase"),
        Bad(line: "IMAGE_REGISTRY=https://registry.example.com", key: "IMAGE_REGISTRY", allowedContains: "without http"),
        Bad(line: "IMAGE_REGISTRY=my_registry.example.com", key: "IMAGE_REGISTRY", allowedContains: "no underscores"),
        Bad(line: "IMAGE_REGISTRY=registry.example.com:99999", key: "IMAGE_REGISTRY", allowedContains: ":port"),
        Bad(line: "IMAGE_REGISTRY=-bad.example.com", key: "IMAGE_REGISTRY", allowedContains: nil),
        Bad(line: "IMAGE_REGISTRY=registry.example.com/Edge", key: "IMAGE_REGISTRY", allowedContains: nil),
        Bad(line: "OS_DISTRIBUTION=debian", key: "OS_DISTRIBUTION", allowedContains: "ubuntu, opensuse-leap"),
        Bad(line: "OS_DISTRIBUTION=rhel", key: "OS_DISTRIBUTION", allowedContains: nil),
        Bad(line: "OS_VERSION=23.10", key: "OS_VERSION", allowedContains: "20, 20.04, 22, 22.04, 24.04"),
        Bad(line: "K8S_DISTRIBUTION=k8s", key: "K8S_DISTRIBUTION", allowedContains: "k3s, rke2, kubeadm, kubeadm-fips, nodeadm, canonical"),
        Bad(line: "K8S_VERSION=1.27", key: "K8S_VERSION", allowedContains: "x.y.z"),
        Bad(line: "K8S_VERSION=1.29.0", key: "K8S_VERSION", allowedContains: "1.26.4, 1.27.2"),
        Bad(line: "ISO_NAME=Edge.iso", key: "ISO_NAME", allowedContains: "'-' and '_'"),
        Bad(line: "ARCH=x86_64", key: "ARCH", allowedContains: "amd64, arm64"),
        Bad(line: "UPDATE_KERNEL=yes", key: "UPDATE_KERNEL", allowedContains: "true, false"),
        Bad(line: "FIPS_ENABLED=TRUE", key: "FIPS_ENABLED", allowedContains: "true, false"),
        Bad(line: "HTTP_PROXY=proxy.example.com:3128", key: "HTTP_PROXY", allowedContains: "URL"),
        Bad(line: "HTTPS_PROXY=ftp://proxy.example.com", key: "HTTPS_PROXY", allowedContains: "URL"),
        Bad(line: "NO_PROXY=10.0.0.0/8,,example.com", key: "NO_PROXY", allowedContains: "comma-separated"),
        Bad(line: "PROXY_CERT_PATH=certs/proxy.pem", key: "PROXY_CERT_PATH", allowedContains: "absolute"),
        Bad(line: "PROXY_CERT_PATH=/etc/missing.pem", key: "PROXY_CERT_PATH", allowedContains: nil),
        Bad(line: "PROXY_CERT_PATH=/etc", key: "PROXY_CERT_PATH", allowedContains: nil),
        Bad(line: "PROXY_CERT_PATH=/root/secret.pem", key: "PROXY_CERT_PATH", allowedContains: nil),
        Bad(line: "CLUSTERCONFIG=spc.tgz", key: "CLUSTERCONFIG", allowedContains: nil),
        Bad(line: "PE_VERSION=latest", key: "PE_VERSION", allowedContains: "vX.Y.Z"),
        Bad(line: "IMAGE_REPO=Ubuntu", key: "IMAGE_REPO", allowedContains: "lowercase"),
    ])
    func badValueIsReportedOnItsLine(_ bad: Bad) throws {
        let issues = Self.issues(Self.base + "\n" + bad.line)
        let errors = issues.filter { $0.severity == .error }
        #expect(errors.count == 1, "\(issues.map(\.formatted))")
        let issue = try #require(errors.first)
        #expect(issue.key == bad.key)
        #expect(issue.line == 11)
        #expect(issue.formatted.hasPrefix(".arg:11: error: "))
        if let allowed = bad.allowedContains { #expect(issue.allowed?.contains(allowed) == true, "\(issue.formatted)") }
    }

    @Test(arguments: ["spectrocloud", "registry.example.com", "registry.example.com:5000", "10.10.1.5:5000/edge/images",
                      "ttl.sh", "localhost:5000"])
    func registryHostsAccepted(_ registry: String) {
        #expect(RegistryName.problem(registry) == nil)
    }

    @Test func everyProblemIsReportedAtOnce() {
        let text = """
            CUSTOM_TAG=Bad_Tag
            IMAGE_REGISTRY=http://x
            OS_DISTRIBUTION=ubuntu
            OS_VERSION=18.04
            K8s_VERSION=1.27.2
            ARCH=i386
            """
        let issues = Self.issues(text, table: nil)
        let errors = issues.filter { $0.severity == .error }
        #expect(errors.compactMap(\.line) == [1, 2, 4, 6])
        // K8S_VERSION misspelled: it does not count, so nothing is planned, and PE_VERSION is missing.
        #expect(errors.filter { $0.line == nil }.compactMap(\.key).sorted() == ["K8S_VERSION", "PE_VERSION"])
        let typo = issues.first { $0.severity == .warning && $0.line == 5 }
        #expect(typo?.message == "unknown argument K8s_VERSION is ignored; did you mean K8S_VERSION?")
    }

    @Test func unknownKeyWithNoCloseMatchHasNoSuggestion() {
        let issues = Self.issues(Self.base + "\nCOMPLETELY_DIFFERENT=1")
        #expect(issues.count == 1)
        #expect(issues[0].message == "unknown argument COMPLETELY_DIFFERENT is ignored")
    }

    @Test func opensuseAcceptsNoVersionAndRejectsUbuntuVersions() {
        let opensuse = Self.base.replacingOccurrences(of: "OS_DISTRIBUTION=ubuntu", with: "OS_DISTRIBUTION=opensuse-leap")
            .replacingOccurrences(of: "IMAGE_REPO=ubuntu", with: "IMAGE_REPO=$OS_DISTRIBUTION")
        #expect(Self.issues(opensuse.replacingOccurrences(of: "OS_VERSION=22.04\n", with: "")).isEmpty)
        let wrong = Self.issues(opensuse)
        #expect(wrong.map(\.key) == ["OS_VERSION"])
        #expect(wrong.first?.allowed == "15.6")
    }

    @Test func rhelWithBaseImageIsAccepted() {
        let rhel = Self.base.replacingOccurrences(of: "OS_DISTRIBUTION=ubuntu", with: "OS_DISTRIBUTION=rhel")
            .replacingOccurrences(of: "OS_VERSION=22.04", with: "BASE_IMAGE=registry.example.com/rhel:9")
        #expect(Self.issues(rhel).isEmpty)
    }

    @Test func distributionMissingFromTheTableNamesTheTableFile() throws {
        let text = Self.base.replacingOccurrences(of: "K8S_DISTRIBUTION=k3s", with: "K8S_DISTRIBUTION=kubeadm")
        let issue = try #require(Self.issues(text).first)
        #expect(issue.file == "k8s_version.json")
        #expect(issue.formatted == "k8s_version.json: error: has no versions for K8S_DISTRIBUTION kubeadm (allowed: k3s, rke2)")
    }

    @Test func isoBuildsNeedNoImageArguments() {
        let text = "ISO_NAME=site-a\nEDGE_CUSTOM_CONFIG=edge.yaml"
        #expect(Self.issues(text, table: nil, images: false).isEmpty)
        #expect(Self.issues(text, table: nil, images: true).filter { $0.severity == .error }.count == 2)
    }

    /// Every argument set from an environment variable, each wrong: every problem is reported, and
    /// no message quotes the value (file:line shows where it is).
    @Test func valuesNeverAppearInMessages() throws {
        let secret = "Hunter2_Secret"
        let keys = ["CUSTOM_TAG", "IMAGE_REGISTRY", "OS_DISTRIBUTION", "IMAGE_REPO", "K8S_DISTRIBUTION",
                    "K8S_VERSION", "ISO_NAME", "ARCH", "UPDATE_KERNEL", "HTTP_PROXY", "PROXY_CERT_PATH", "CLUSTERCONFIG",
                    "EDGE_CUSTOM_CONFIG", "PE_VERSION"]
        let text = keys.map { "\($0)=$SECRET" }.joined(separator: "\n") + "\nHTTPS_PROXY=ftp://user:${SECRET}@proxy.example.com"
        let argFile = ArgFile.parse(text, file: ".arg", environment: ["SECRET": secret])
        let validator = ArgValidator(baseDirectory: "/work") { _ in .missing }
        let issues = validator.validate(argFile, arguments: BuildArguments(argFile), k8sVersions: Self.table)
        #expect(Set(issues.compactMap(\.key)).isSuperset(of: keys + ["HTTPS_PROXY"]))
        for issue in issues { #expect(!issue.formatted.contains("Hunter2"), "\(issue.formatted)") }
    }

    /// OCI tags are at most 128 characters: a CUSTOM_TAG that makes any planned tag longer is an
    /// error on its line, saying how long it may be.
    @Test func customTagMakingTheImageTagTooLongIsAnError() throws {
        // k3s-1.27.2-v4.4.12- is 19 characters: 109 more make 128.
        let fits = Self.base.replacingOccurrences(of: "CUSTOM_TAG=palette-learn", with: "CUSTOM_TAG=" + String(repeating: "a", count: 109))
        #expect(Self.issues(fits).isEmpty)
        let tooLong = Self.base.replacingOccurrences(of: "CUSTOM_TAG=palette-learn", with: "CUSTOM_TAG=" + String(repeating: "a", count: 110))
        let issue = try #require(Self.issues(tooLong).first)
        #expect(issue.formatted == ".arg:1: error: CUSTOM_TAG makes the provider image tag 129 characters long; registries refuse tags over 128 (allowed: at most 109 characters with this K8S_DISTRIBUTION, K8S_VERSION and PE_VERSION)")
        // Without K8S_VERSION, every listed version is planned: the longest decides.
        let table = K8sVersionTable(file: "k8s_version.json", versions: ["k3s": ["1.26.4", "1.27.10"]])
        let unset = fits.replacingOccurrences(of: "K8S_VERSION=1.27.2\n", with: "")
        #expect(Self.issues(unset, table: table).map(\.key) == ["CUSTOM_TAG"])
        // build iso plans no provider image: no tag to check.
        #expect(Self.issues(tooLong, images: false).isEmpty)
    }

    @Test func defaultsAreCanvOSDefaults() {
        let arguments = BuildArguments(ArgFile.parse("", file: ".arg"))
        #expect(arguments.isoName == "palette-edge-installer")
        #expect(arguments.customTag == "demo")
        #expect(arguments.osDistribution == "ubuntu")
        #expect(arguments.imageRepo == "ubuntu")
        #expect(arguments.osVersion == "22")
        #expect(arguments.k8sDistribution == "k3s")
        #expect(arguments.arch == "amd64")
        #expect(arguments.line("ISO_NAME") == nil)
    }
}
