import Foundation
import Testing
import TestSupport

/// Plants distinctive secrets in user-data and greps everything every user-data command prints.
@Test func noCommandPrintsAPlantedSecret() throws {
    let token = "PLANTED-7f3a9c-edge-host-token"
    let password = "PLANTED-registry-pass-51d2"
    let valid = """
        #cloud-config
        stylus:
          site:
            edgeHostToken: \(token)
            name: site-a
          registryCredentials:
            domain: reg.example.com
            username: robot
            password: "\(password)"

        """
    let invalid = valid.replacingOccurrences(of: "name: site-a", with: "tags: \(token)\n    bad: [\(token)")
    let validFile = try userDataFile(valid)
    let invalidFile = try userDataFile(invalid)
    let template = try userDataFile("#cloud-config\nstylus:\n  site:\n    edgeHostToken: {{token}}\n    name: {{missing}}\n")
    let sites = try userDataFile("- name: s\n  token: \(token)\n", name: "sites.yaml")
    let dir = try TemporaryDirectory.make()
    let image = dir.appendingPathComponent("site.img").path
    try FileManager.default.copyItem(atPath: InstallerImages.ipxe, toPath: image)

    let runs: [[String]] = [
        ["user-data", "validate", validFile], ["user-data", "validate", validFile, "--json"],
        ["user-data", "validate", invalidFile], ["user-data", "validate", invalidFile, "--json"],
        ["user-data", "show", validFile], ["user-data", "show", invalidFile],
        ["user-data", "validate", template, "--sites", sites, "--site", "s"],
        ["user-data", "show", template, "--sites", sites, "--site", "nope"],
        ["inject", image, "--user-data", validFile], ["inject", image, "--user-data", validFile, "--json"],
        ["inject", image, "--user-data", validFile, "--fs", "iso9660", "--json"],
        ["inject", image, "--user-data", invalidFile], ["inject", image, "--user-data", invalidFile, "--json"],
        ["inject", image, "--user-data", template, "--sites", sites, "--site", "s", "--json"],
        ["inject", image, "--user-data", validFile, "--size", "1M"], ["inject", image, "--user-data", validFile, "--size", "1M", "--json"],
        ["inject", image + ".missing", "--user-data", validFile, "--json"],
    ]
    var statuses: [Int32] = []
    for arguments in runs {
        let result = try EdgeFlashBinary.run(arguments)
        statuses.append(result.status)
        for secret in [token, password, "robot"] {
            #expect(!result.stdout.contains(secret), "stdout of \(arguments) leaked")
            #expect(!result.stderr.contains(secret), "stderr of \(arguments) leaked")
        }
    }
    // The runs did what they should (so the grep looked at real output): valid ones succeeded.
    #expect(statuses[0] == 0 && statuses[8] == 0 && statuses[9] == 0 && statuses[10] == 0)
    #expect(statuses[2] == 6 && statuses[11] == 6 && statuses[13] == 6)
}

/// The same grep over `write --user-data` (human and --json; valid, invalid, and a refused template).
@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
func writeWithUserDataPrintsNoPlantedSecret() throws {
    let token = "PLANTED-write-3b8e-token"
    let valid = "#cloud-config\nstylus:\n  site:\n    edgeHostToken: \(token)\n    projectName: p\n"
    let validFile = try userDataFile(valid)
    let invalidFile = try userDataFile(valid.replacingOccurrences(of: "projectName: p", with: "tags: [\(token)"))
    let template = try userDataFile("#cloud-config\nstylus:\n  site:\n    edgeHostToken: {{token}}\n    name: {{gone}}\n")
    let sites = try userDataFile("- name: s\n  token: \(token)\n", name: "sites.yaml")
    let loop = try LoopDevice(size: 96 << 20)
    defer { loop.detach() }
    let runs: [[String]] = [
        ["write", InstallerImages.ipxe, loop.path, "--yes", "--user-data", validFile],
        ["write", InstallerImages.ipxe, loop.path, "--yes", "--json", "--user-data", validFile],
        ["write", InstallerImages.ipxe, loop.path, "--yes", "--user-data", invalidFile],
        ["write", InstallerImages.ipxe, loop.path, "--yes", "--json", "--user-data", invalidFile],
        ["write", InstallerImages.ipxe, loop.path, "--yes", "--user-data", template, "--sites", sites, "--site", "s"],
    ]
    var statuses: [Int32] = []
    var outputs: [String] = []
    for arguments in runs {
        let result = try EdgeFlashBinary.run(arguments)
        statuses.append(result.status)
        outputs.append(result.stdout)
        #expect(!result.stdout.contains(token) && !result.stderr.contains(token), "\(arguments) leaked")
    }
    #expect(statuses == [0, 0, 6, 6, 6])
    // Rejected user-data still ends `write --json` with its result object, for scripts.
    let last = try #require(outputs[3].split(separator: "\n").last, "no JSON result: \(outputs[3])")
    let result = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    #expect(result["type"] as? String == "result" && result["ok"] as? Bool == false && result["exitStatus"] as? Int == 6)
}

/// Every kind of secret (issue 9, class 7), planted in one valid and one invalid file: continuation
/// lines of plain, double-quoted and block values, a token also used as a mapping key, credentials
/// in proxy URLs, passphrase, auth, apiKey, secret, an anchor repeated under a secret key, an env
/// line and private keys in `write_files`. No user-data command prints any of them, text or JSON.
@Test func noCommandPrintsAnyKindOfPlantedSecret() throws {
    let (planted, valid, invalid) = everyKindOfSecret()
    let validFile = try userDataFile(valid)
    let invalidFile = try userDataFile(invalid)
    let dir = try TemporaryDirectory.make()
    let image = dir.appendingPathComponent("site.img").path
    try FileManager.default.copyItem(atPath: InstallerImages.ipxe, toPath: image)

    var runs: [[String]] = []
    for file in [validFile, invalidFile] {
        runs += [["user-data", "validate", file], ["user-data", "validate", file, "--json"], ["user-data", "show", file],
                 ["inject", image, "--user-data", file], ["inject", image, "--user-data", file, "--json"],
                 ["inject", image, "--user-data", file, "--fs", "iso9660", "--json"]]
    }
    let statuses = try runsPrintNone(of: planted, runs)
    // The runs did what they should, so the grep looked at real output.
    #expect(statuses == [0, 0, 0, 0, 0, 0, 6, 6, 0, 6, 6, 6], "\(statuses)")
    let shown = try EdgeFlashBinary.run(["user-data", "show", validFile]).stdout
    for kept in ["proxy.example.com:3128", "- name: kairos", "path: /etc/app.env", "projectName: p"] {
        #expect(shown.contains(kept), "show lost \(kept)")
    }
}

/// The same kinds through `write --user-data`, text and JSON.
@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
func writePrintsNoKindOfPlantedSecret() throws {
    let (planted, valid, invalid) = everyKindOfSecret()
    let validFile = try userDataFile(valid)
    let invalidFile = try userDataFile(invalid)
    let loop = try LoopDevice(size: 96 << 20)
    defer { loop.detach() }
    let runs = [validFile, invalidFile].flatMap { file in
        [["write", InstallerImages.ipxe, loop.path, "--yes", "--user-data", file],
         ["write", InstallerImages.ipxe, loop.path, "--yes", "--json", "--user-data", file]]
    }
    #expect(try runsPrintNone(of: planted, runs) == [0, 0, 6, 6])
}

/// Runs each command and expects none of `secrets` in what it printed; gives the exit statuses.
private func runsPrintNone(of secrets: [String], _ runs: [[String]]) throws -> [Int32] {
    try runs.map { arguments in
        let result = try EdgeFlashBinary.run(arguments)
        for secret in secrets {
            #expect(!result.stdout.contains(secret), "stdout of \(arguments) leaked \(secret)")
            #expect(!result.stderr.contains(secret), "stderr of \(arguments) leaked \(secret)")
            let leaked = result.stdout.contains(secret) || result.stderr.contains(secret)
            ReliabilityLedger.record("planted secrets", "\(arguments[0]) output", leaked ? .leak : .handled)
        }
        return result.status
    }
}

/// A valid user-data holding one secret of each kind, and an invalid one that also uses the token
/// as a tag key whose value is not a string (so a message names that key).
private func everyKindOfSecret() -> (planted: [String], valid: String, invalid: String) {
    let planted = (1...14).map { "PLANTED-kind-\($0)-x9" }
    let valid = """
        #cloud-config
        stylus:
          site:
            edgeHostToken: \(planted[0])
              \(planted[1])
            projectName: p
            network:
              httpProxy: http://proxyuser:\(planted[2])@proxy.example.com:3128
              httpsProxy: "https://\(planted[3])@proxy.example.com"
          registryCredentials:
            password: "\(planted[4])
              \(planted[5])"
        luks:
          passphrase: \(planted[6])
        registry:
          auth: \(planted[7])
          apiKey: \(planted[8])
        shared: &shared \(planted[9])
        users:
          - name: kairos
            passwd: *shared
        write_files:
          - path: /etc/app.env
            content: |
              APP_SECRET=\(planted[10])
          - path: /etc/ssh/key
            content: |
              -----BEGIN OPENSSH PRIVATE KEY-----
              \(planted[11])
              -----END OPENSSH PRIVATE KEY-----
          - path: /etc/tls/key
            content: "-----BEGIN RSA PRIVATE KEY-----\\n\(planted[12])\\n-----END RSA PRIVATE KEY-----\\n"
        ca:
          clientSecret: |
            \(planted[13])

        """
    let invalid = valid.replacingOccurrences(of: "    projectName: p\n", with: "    projectName: p\n    tags:\n      \(planted[0]): 5\n")
    return (planted, valid, invalid)
}
