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
