@testable import BuildStage
import Foundation
import Testing

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
    let error = try #require(throws: SiteCatalogError.self) {
        try SiteTemplate(data: Data(template.utf8), file: "t.yaml").render(site: "berlin", values: catalog.values(for: "berlin"))
    }
    #expect(error.message.contains("'tags.region'"))
    #expect(!error.message.contains("'token'"))
    #expect(error.exitStatus == .invalidInput)
}

@Test func unknownSiteListsTheKnownOnes() throws {
    let catalog = try SiteCatalog(data: Data("- name: a\n- name: b\n".utf8), file: "s.yaml")
    let error = try #require(throws: SiteCatalogError.self) { try catalog.values(for: "c") }
    #expect(error.hint?.contains("a, b") == true)
}

@Test func variablesOutsideSectionsAreFound() {
    #expect(SiteTemplate.variables(in: template) == ["token", "name", "tags.region"])
    #expect(SiteTemplate.variables(in: "{{{raw}}} {{& amp}} {{! note}} {{> part}}") == ["raw", "amp"])
}
