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
