import Foundation
import Testing
import TestSupport

/// Writes `text` to a file in a fresh directory and returns its path.
func userDataFile(_ text: String, name: String = "user-data.yaml") throws -> String {
    let path = try TemporaryDirectory.make().appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

let validUserData = """
    #cloud-config
    stylus:
      site:
        edgeHostToken: tok-e2e-123
        projectName: edge
        name: site-a

    """

@Test func validateAcceptsValidUserData() throws {
    let result = try EdgeFlashBinary.run(["user-data", "validate", try userDataFile(validUserData)])
    #expect(result.status == 0)
    #expect(result.stdout.contains(": valid"))
}

@Test func validateReportsLineAndColumnAndExits6() throws {
    let file = try userDataFile("#cloud-config\nstylus:\n  site:\n    edgeHostToken: x\n    tags:\n      rack: 4\n")
    let result = try EdgeFlashBinary.run(["user-data", "validate", file])
    #expect(result.status == 6)
    #expect(result.stdout.contains("\(file):6:13: error: tag 'rack' must be a string"))
}

@Test func validateJSONHasAStableSchema() throws {
    let file = try userDataFile(validUserData.replacingOccurrences(of: "    projectName: edge\n", with: ""))
    let result = try EdgeFlashBinary.run(["user-data", "validate", file, "--json"])
    #expect(result.status == 0)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["valid"] as? Bool == true)
    #expect(object["file"] as? String == file)
    let issues = try #require(object["issues"] as? [[String: Any]])
    #expect(issues.count == 1)
    #expect(issues.first?["severity"] as? String == "warning")
    #expect(issues.first?["line"] as? Int == 4)   // the `edgeHostToken` line: the first key of stylus.site
}

@Test func showRedactsSecrets() throws {
    let result = try EdgeFlashBinary.run(["user-data", "show", try userDataFile(validUserData)])
    #expect(result.status == 0)
    #expect(result.stdout.contains("edgeHostToken: <redacted>"))
    #expect(result.stdout.contains("name: site-a"))
    #expect(!result.stdout.contains("tok-e2e-123"))
}

@Test func templateMissingValueIsRefusedNamingIt() throws {
    let template = try userDataFile("#cloud-config\nstylus:\n  site:\n    edgeHostToken: {{token}}\n    name: {{hostname}}\n")
    let sites = try userDataFile("- name: berlin\n  token: t-1\n", name: "sites.yaml")
    let result = try EdgeFlashBinary.run(["user-data", "validate", template, "--sites", sites, "--site", "berlin"])
    #expect(result.status == 6)
    #expect(result.stderr.contains("'hostname'"))
}

/// The command a station's or a write's error suggests for one site's invalid user-data reports it
/// naming the site and its row, without the token that broke the YAML.
@Test func validateOfOneSiteNamesTheSiteAndItsRow() throws {
    let template = try userDataFile("#cloud-config\nstylus:\n  site:\n    edgeHostToken: {{token}}\n    projectName: p\n    name: {{name}}\n")
    let sites = try userDataFile("name,token\nok1,SECRETTOKOK1\nbadone,SECRETTOKBAD: broken yaml\n", name: "sites.csv")
    let result = try EdgeFlashBinary.run(["user-data", "validate", template, "--sites", sites, "--site", "badone"])
    #expect(result.status == 6)
    #expect(result.stdout.contains("\(template):4:"))
    #expect(result.stdout.contains("\(template) for site 'badone' (\(sites) row 3): invalid"))
    #expect(!(result.stdout + result.stderr).contains("SECRETTOK"))
    let json = try EdgeFlashBinary.run(["user-data", "validate", template, "--sites", sites, "--site", "badone", "--json"])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    #expect(object["site"] as? String == "badone" && object["valid"] as? Bool == false)
    let good = try EdgeFlashBinary.run(["user-data", "validate", template, "--sites", sites, "--site", "ok1"])
    #expect(good.status == 0 && good.stdout.contains("for site 'ok1' (\(sites) row 2): valid"))

    // A write refuses before it looks at the device, and its hint is that command.
    let write = try EdgeFlashBinary.run(["write", "/usr/lib/ipxe/ipxe.iso", "/dev/edgeflash-no-such-device", "--yes",
                                         "--user-data", template, "--sites", sites, "--site", "badone"])
    #expect(write.status == 6)
    #expect(write.stderr.contains("site 'badone' (\(sites) row 3)"))
    #expect(write.stderr.contains("edgeflash user-data validate \(template) --sites \(sites) --site badone"))
    #expect(!(write.stdout + write.stderr).contains("SECRETTOK"))
}
