@testable import BuildStage
import EdgeCore
import Foundation
import Testing
import TestSupport

private let template = """
    #cloud-config
    stylus:
      site:
        edgeHostToken: {{token}}
        name: {{name}}
        paletteEndpoint: api.example.com & co
        tags:
          region: "{{tags.region}}"
    {{#static}}
        network: {{address}}
    {{/static}}

    """

@Test func rendersASiteFromYAML() throws {
    let sites = """
        sites:
          - name: berlin
            token: tok-b<&>
            tags: {region: eu}
          - name: austin
            token: tok-a
            tags: {region: us}
        """
    let catalog = try SiteCatalog(data: Data(sites.utf8), file: "sites.yaml")
    #expect(catalog.names == ["austin", "berlin"])
    let rendered = try SiteTemplate(data: Data(template.utf8), file: "t.yaml")
        .render(site: "berlin", values: catalog.values(for: "berlin"))
    let text = String(decoding: rendered, as: UTF8.self)
    #expect(text.contains("edgeHostToken: tok-b<&>"))      // not HTML-escaped
    #expect(text.contains("name: berlin"))
    #expect(text.contains("region: \"eu\""))
    #expect(!text.contains("network"))
}

@Test func rendersASiteFromCSV() throws {
    let csv = "name,token,tags.region\nberlin,tok-b,eu\n\"austin, tx\",\"tok \"\"a\"\"\",us\n"
    let catalog = try SiteCatalog(data: Data(csv.utf8), file: "sites.csv")
    let values = try catalog.values(for: "austin, tx")
    #expect(values["token"] as? String == "tok \"a\"")
    let text = String(decoding: try SiteTemplate(data: Data(template.utf8), file: "t").render(site: "austin, tx", values: values), as: UTF8.self)
    #expect(text.contains("region: \"us\""))
}

@Test func missingValueIsAnErrorNamingIt() throws {
    let catalog = try SiteCatalog(data: Data("berlin:\n  token: t\n".utf8), file: "sites.yaml")
    let error = try #require(throws: EdgeError.self) {
        try SiteTemplate(data: Data(template.utf8), file: "t.yaml").render(site: "berlin", values: catalog.values(for: "berlin"))
    }
    #expect(error.message.contains("'tags.region'"))
    #expect(!error.message.contains("'token'"))
    #expect(error.exitStatus == .invalidInput)
}

@Test func unknownSiteListsTheKnownOnes() throws {
    let catalog = try SiteCatalog(data: Data("- name: a\n- name: b\n".utf8), file: "s.yaml")
    let error = try #require(throws: EdgeError.self) { try catalog.values(for: "c") }
    #expect(error.hint?.contains("a, b") == true)
}

@Test func variablesOutsideSectionsAreFound() {
    #expect(SiteTemplate.variables(in: template) == ["token", "name", "tags.region"])
    #expect(SiteTemplate.variables(in: "{{{raw}}} {{& amp}} {{! note}} {{> part}}") == ["raw", "amp"])
}

/// The gap the first version left: values used inside sections were never checked.
private let sectionTemplate = """
    #cloud-config
    stylus:
      site:
        edgeHostToken: {{token}}
    {{#static}}
        network:
          interfaces:
            eth0: {type: static, ipAddress: "{{address}}", gateway: "{{gateway}}"}
    {{/static}}
    {{^static}}
        # dhcp: {{dhcpNote}}
    {{/static}}
    {{#nameservers}}
        # ns {{ip}} for {{name}}
    {{/nameservers}}
    {{#tags}}
        region: "{{region}}"
    {{/tags}}

    """

@Test func missingValuesInsideRenderedSectionsAreErrorsNamingThem() throws {
    let template = try SiteTemplate(data: Data(sectionTemplate.utf8), file: "t.yaml")
    // static is on, but the site has no gateway; a nameserver lacks its ip; tags has no region.
    let values: [String: Any] = ["name": "berlin", "token": "t", "static": true, "address": "10.0.0.5/24",
                                 "nameservers": [["ip": "1.1.1.1"], ["other": "x"]], "tags": ["city": "b"],
                                 "dhcpNote": "n"]
    let error = try #require(throws: EdgeError.self) { try template.render(site: "berlin", values: values) }
    #expect(error.message.contains("'gateway'"))
    #expect(error.message.contains("'ip'"))
    #expect(error.message.contains("'region'"))
    // Found in the site's values from inside a section (the stack is searched outwards): not missing.
    #expect(!error.message.contains("'name'") && !error.message.contains("'address'") && !error.message.contains("'token'"))
    // The inverted section does not render when static is true, so its value is not needed.
    #expect(!error.message.contains("'dhcpNote'"))
}

@Test func sectionsThatDoNotRenderNeedNoValues() throws {
    let template = try SiteTemplate(data: Data(sectionTemplate.utf8), file: "t.yaml")
    // A DHCP site: static absent, no address or gateway needed; the inverted section renders and needs dhcpNote.
    let error = try #require(throws: EdgeError.self) {
        try template.render(site: "austin", values: ["name": "austin", "token": "t"])
    }
    #expect(error.message.contains("'dhcpNote'"))
    #expect(!error.message.contains("'address'") && !error.message.contains("'gateway'") && !error.message.contains("'region'"))
    let rendered = try template.render(site: "austin", values: ["name": "austin", "token": "t", "dhcpNote": "dhcp", "static": false,
                                                                  "nameservers": [Any]()])
    #expect(String(decoding: rendered, as: UTF8.self).contains("# dhcp: dhcp"))
}

@Test func aCompleteSiteRendersEveryRenderedSection() throws {
    let template = try SiteTemplate(data: Data(sectionTemplate.utf8), file: "t.yaml")
    let csv = "name,token,static,address,gateway,tags.region\nberlin,t,true,10.0.0.5/24,10.0.0.1,eu\n"
    let values = try SiteCatalog(data: Data(csv.utf8), file: "s.csv").values(for: "berlin")
    let text = String(decoding: try template.render(site: "berlin", values: values), as: UTF8.self)
    #expect(text.contains(#"gateway: "10.0.0.1""#) && text.contains(#"region: "eu""#))
}

/// A sites file whose aliases would expand into billions of nodes is refused at the alias, with the
/// file and line, before anything walks it.
@Test func sitesAliasBombIsRefusedWithFileAndLine() throws {
    var lines = ["lol0: &lol0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
    for level in 1...9 {
        lines.append("lol\(level): &lol\(level) [" + Array(repeating: "*lol\(level - 1)", count: 9).joined(separator: ",") + "]")
    }
    lines.append("sites:\n  - name: s\n    bomb: *lol9")
    #expect {
        try SiteCatalog(data: Data(lines.joined(separator: "\n").utf8), file: "sites.yaml")
    } throws: { error in
        (error as? EdgeError)?.message == "sites.yaml:7: YAML aliases expand the document past 1000000 nodes at this alias (an alias bomb?); refused"
    }
}

/// Sections nested over the same list multiply (1000 items three deep is a billion renderings):
/// refused before rendering.
@Test func templatesThatRenderTooMuchAreRefusedBeforeRendering() throws {
    let values: [String: Any] = ["name": "s", "items": (0..<1000).map { ["v": "\($0)"] }]
    let nested = "#cloud-config\n{{#items}}{{#items}}{{#items}}{{v}}{{/items}}{{/items}}{{/items}}\n"
    #expect {
        try SiteTemplate(data: Data(nested.utf8), file: "t.yaml").render(site: "s", values: values)
    } throws: { error in
        (error as? EdgeError)?.message == "t.yaml: rendering it for site 's' expands too far: past 1 MiB of user-data (which the installer ignores) or 100000 values and section items"
    }
    // Empty sections iterate too: counted, so they cannot spin either.
    let empty = "{{#items}}{{#items}}{{#items}}{{/items}}{{/items}}{{/items}}"
    #expect(throws: EdgeError.self) { try SiteTemplate(data: Data(empty.utf8), file: "t.yaml").render(site: "s", values: values) }
    // So is a huge value repeated: the output would pass 1 MiB.
    let big: [String: Any] = ["name": "s", "blob": String(repeating: "x", count: 20_000), "items": (0..<100).map { "\($0)" }]
    #expect(throws: EdgeError.self) {
        try SiteTemplate(data: Data("{{#items}}{{blob}}{{/items}}".utf8), file: "t.yaml").render(site: "s", values: big)
    }
    // One level over the same list is fine.
    let once = try SiteTemplate(data: Data("{{#items}}{{v}},{{/items}}".utf8), file: "t.yaml").render(site: "s", values: values)
    #expect(String(decoding: once, as: UTF8.self).hasSuffix("998,999,"))
}

@Test func sitesKeepTheFileOrderAndATwiceListedSiteIsRefused() throws {
    let yaml = try SiteCatalog(data: Data("zurich: {token: z}\nberlin: {token: b}\naustin: {token: a}\n".utf8), file: "s.yaml")
    #expect(yaml.order == ["zurich", "berlin", "austin"])
    let csv = try SiteCatalog(data: Data("name,token\nzurich,z\nberlin,b\n".utf8), file: "s.csv")
    #expect(csv.order == ["zurich", "berlin"])
    let error = try #require(throws: EdgeError.self) {
        try SiteCatalog(data: Data("name,token\nberlin,b1\nzurich,z\nberlin,b2\n".utf8), file: "s.csv")
    }
    #expect(error.message.contains("'berlin' is listed twice"))
    #expect(!error.message.contains("b1") && !error.message.contains("b2"))
}

@Test func aStickInstanceIDNamesTheSiteAndTheSerial() {
    #expect(UserDataFiles.instanceID(site: "berlin", serial: "4C530001") == "berlin-4C530001")
    #expect(UserDataFiles.instanceID(site: "austin, tx", serial: "A B/1") == "austin--tx-A-B-1")
    let first = UserDataFiles.instanceID(site: "berlin", serial: nil)
    #expect(first.hasPrefix("berlin-") && first.count > "berlin-".count)
    #expect(UserDataFiles.instanceID(site: "berlin", serial: "") != "berlin-")
}

@Test func aBatchHandsOutTheNextSitesAndRendersEachSticksFiles() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let templatePath = directory.appendingPathComponent("t.yaml").path
    let sitesPath = directory.appendingPathComponent("sites.csv").path
    try Data("#cloud-config\nstylus:\n  site:\n    edgeHostToken: {{token}}\n    name: {{name}}\n".utf8).write(to: URL(fileURLWithPath: templatePath))
    try Data("name,token\nzurich,tok-zurich-secret\nberlin,tok-berlin-secret\nparis,tok-paris-secret\n".utf8).write(to: URL(fileURLWithPath: sitesPath))
    let batch = try SiteBatch(templatePath: templatePath, sitesPath: sitesPath)
    #expect(try batch.nextSites(2, done: []) == ["zurich", "berlin"])
    #expect(try batch.nextSites(2, done: ["zurich"]) == ["berlin", "paris"])
    let error = try #require(throws: EdgeError.self) { try batch.nextSites(2, done: ["zurich", "berlin"]) }
    #expect(error.code == .refused && error.hint?.contains("paris") == true)
    let files = try batch.files(site: "berlin", serial: "SN1")
    #expect(String(decoding: files.userData, as: UTF8.self).contains("tok-berlin-secret"))
    #expect(String(decoding: files.metaData, as: UTF8.self) == "instance-id: berlin-SN1\n")
    #expect(files.secrets.contains("tok-berlin-secret"))
    let zurich = try batch.files(site: "zurich", serial: "SN1")
    #expect(files.userDataSHA256.count == 64 && files.userDataSHA256 != zurich.userDataSHA256)
}

/// A value that breaks the rendered YAML for one site (a token with ": "): the error named only the
/// template's line, fine for every other site, and a command that reported other things.
@Test func invalidUserDataOfOneSiteNamesTheSiteItsRowAndTheCommandThatShowsIt() throws {
    let directory = try TemporaryDirectory.make()
    let templatePath = directory.appendingPathComponent("t.yaml").path
    let sitesPath = directory.appendingPathComponent("sites.csv").path
    try Data("#cloud-config\nstylus:\n  site:\n    edgeHostToken: {{token}}\n    name: {{name}}\n".utf8).write(to: URL(fileURLWithPath: templatePath))
    try Data("name,token\nok1,tok-ok-secret1\nbad one,tok-BAD-secret: broken\n".utf8).write(to: URL(fileURLWithPath: sitesPath))
    let batch = try SiteBatch(templatePath: templatePath, sitesPath: sitesPath)
    try batch.files(site: "ok1", serial: nil).requireValid()
    let files = try batch.files(site: "bad one", serial: nil)
    #expect(files.site?.description == "site 'bad one' (\(sitesPath) row 3)")
    let error = try #require(throws: EdgeError.self) { try files.requireValid() }
    #expect(error.message.contains("site 'bad one' (\(sitesPath) row 3)"))
    #expect(error.message.contains("\(templatePath):4:"))
    #expect(error.hint == "Run 'edgeflash user-data validate \(templatePath) --sites \(sitesPath) --site 'bad one'' to see every issue.")
    #expect(!error.message.contains("tok-BAD") && error.hint?.contains("tok-BAD") == false)

    // The same through `--sites --site`, as `user-data validate` loads it; a YAML site by its line.
    let yamlSites = directory.appendingPathComponent("sites.yaml").path
    try Data("- name: ok1\n  token: t1\n- name: bad\n  token: \"tok-BAD: broken\"\n".utf8).write(to: URL(fileURLWithPath: yamlSites))
    let loaded = try UserDataFiles.load(userDataPath: templatePath, sitesPath: yamlSites, site: "bad")
    #expect(!loaded.report.isValid && loaded.site?.description == "site 'bad' (\(yamlSites) line 3)")
}
