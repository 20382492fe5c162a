import BuildStage
import Foundation
import Testing

private func issues(_ text: String) -> [UserDataIssue] {
    UserDataValidator.validate(Data(text.utf8), file: "site.yaml").issues
}

private let valid = """
    #cloud-config
    stylus:
      site:
        edgeHostToken: tok-123456
        projectName: edge
        paletteEndpoint: api.spectrocloud.com
        tags:
          region: "eu-west"
        network:
          interfaces:
            eth0:
              type: static
              ipAddress: 10.0.0.5/24
              gateway: 10.0.0.1
              nameserver: 1.1.1.1
    install:
      poweroff: true

    """

@Test func validUserDataHasNoIssues() {
    #expect(issues(valid).isEmpty)
}

@Test func firstLineMustBeCloudConfig() {
    let found = issues(valid.replacingOccurrences(of: "#cloud-config", with: "# cloud config"))
    #expect(found.count == 1)
    #expect(found.first?.line == 1 && found.first?.severity == .error)
}

@Test func yamlSyntaxErrorHasLineAndColumn() throws {
    let found = issues("#cloud-config\nstylus:\n  site:\n    edgeHostToken: abc\n   bad: [\n")
    let error = try #require(found.first { $0.message.hasPrefix("invalid YAML") })
    #expect(error.line == 5)
    #expect(error.column == 4)
}

@Test func siteNeedsTokenOrRegistrationURL() throws {
    let found = issues("#cloud-config\nstylus:\n  site:\n    name: a\n")
    let error = try #require(found.first { $0.severity == .error })
    #expect(error.message.contains("edgeHostToken"))
    #expect(error.line == 4)
    #expect(issues("#cloud-config\nstylus:\n  site:\n    registrationURL: https://r.example/x\n").allSatisfy { $0.severity == .warning })
}

@Test func missingStylusIsAnError() {
    #expect(issues("#cloud-config\nusers: []\n").contains { $0.severity == .error && $0.message.contains("stylus.site") })
}

@Test func projectNameAbsentIsAWarningOnly() {
    let found = issues(valid.replacingOccurrences(of: "    projectName: edge\n", with: ""))
    #expect(found.count == 1)
    #expect(found.first?.severity == .warning)
    #expect(found.first?.message.contains("projectName") == true)
}

@Test func tagsMustBeStrings() throws {
    let found = issues(valid.replacingOccurrences(of: "region: \"eu-west\"", with: "rack: 4"))
    let error = try #require(found.first)
    #expect(error.message.contains("'rack'"))
    #expect(error.line == 8 && error.column == 13)
    #expect(issues(valid.replacingOccurrences(of: "region: \"eu-west\"", with: "rack: [1]")).contains { $0.message.contains("'rack'") })
}

@Test func staticInterfaceNeedsCIDRAndGateway() throws {
    let noPrefix = issues(valid.replacingOccurrences(of: "10.0.0.5/24", with: "10.0.0.5"))
    #expect(noPrefix.contains { $0.message.contains("ipAddress") && $0.line == 13 })
    #expect(issues(valid.replacingOccurrences(of: "10.0.0.5/24", with: "10.0.0.5/33")).contains { $0.message.contains("ipAddress") })
    #expect(issues(valid.replacingOccurrences(of: "10.0.0.5/24", with: "fd00::5/64")).isEmpty)
    #expect(issues(valid.replacingOccurrences(of: "gateway: 10.0.0.1", with: "gateway: 10.0.0.300")).contains { $0.message.contains("gateway") })
    #expect(issues(valid.replacingOccurrences(of: "          gateway: 10.0.0.1\n", with: "")).contains { $0.message.contains("needs 'gateway'") })
    #expect(issues(valid.replacingOccurrences(of: "          ipAddress: 10.0.0.5/24\n", with: "")).contains { $0.message.contains("needs 'ipAddress'") })
    #expect(issues(valid.replacingOccurrences(of: "type: static", with: "type: manual")).contains { $0.message.contains("'dhcp' or 'static'") })
}

@Test func dhcpInterfaceNeedsNoAddress() {
    let dhcp = valid.replacingOccurrences(of: "type: static", with: "type: dhcp")
        .replacingOccurrences(of: "          ipAddress: 10.0.0.5/24\n", with: "")
    #expect(issues(dhcp).isEmpty)
}

@Test func wrongTypesAreErrors() {
    #expect(issues(valid.replacingOccurrences(of: "poweroff: true", with: "poweroff: sometimes")).contains { $0.message.contains("install.poweroff") })
    #expect(issues(valid.replacingOccurrences(of: "edgeHostToken: tok-123456", with: "edgeHostToken: [a]")).contains { $0.message.contains("edgeHostToken' must be a string") })
    #expect(issues(valid.replacingOccurrences(of: "api.spectrocloud.com", with: "https://api.spectrocloud.com")).contains { $0.message.contains("scheme") })
}

@Test func oversizedUserDataIsRefused() {
    let big = valid + "# " + String(repeating: "x", count: 1 << 20) + "\n"
    let found = issues(big)
    #expect(found.count == 1)
    #expect(found.first?.message.contains("1 MiB") == true)
}

@Test func issueMessagesNeverQuoteValues() {
    let secret = "tok-SECRET-VALUE-42"
    let text = "#cloud-config\nstylus:\n  site:\n    edgeHostToken: \(secret)\n    tags: \(secret)\n  bad: [\(secret)\n"
    for issue in issues(text) + issues(text.replacingOccurrences(of: "  bad: [\(secret)\n", with: "")) {
        #expect(!issue.message.contains(secret))
    }
}

/// CRLF line endings (a file saved on Windows): YAML and the installer read them; the first-line
/// check must too.
@Test func crlfUserDataIsValid() {
    let text = "#cloud-config\r\nstylus:\r\n  site:\r\n    edgeHostToken: t\r\n    projectName: p\r\n"
    let report = UserDataValidator.validate(Data(text.utf8), file: "crlf.yaml")
    #expect(report.isValid, "\(report.issues)")
}

private func endpointIssues(_ endpoint: String) -> [UserDataIssue] {
    issues(valid.replacingOccurrences(of: "paletteEndpoint: api.spectrocloud.com", with: "paletteEndpoint: \"\(endpoint)\""))
}

/// Only a scheme was refused: a space, a path or an empty label passed as valid, and the stick's
/// host could not register.
@Test func paletteEndpointMustBeAHostName() {
    let refused: [(String, String)] = [
        ("not a host:name", "character 4 is a space"),
        ("api example com", "character 4 is a space"),
        ("api..example.com", "two dots in a row (label 2 is empty)"),
        ("-bad-.example.com", "label 1 ('-bad-') starts with a hyphen"),
        ("api.example-.com", "label 2 ('example-') ends with a hyphen"),
        ("api.example.com/v1/path", "character 16 is '/': a path is not part of a host name"),
        ("https://api.example.com", "scheme ('https://')"),
        ("api.example.com:0", "port after ':' ('0')"),
        ("api.example.com:443x", "('443x') is not a number"),
        ("api.example.com:", "port after ':' ('')"),
        ("10.0.0.256", "looks like an IPv4 address"),
        (String(repeating: "a", count: 64) + ".example.com", "label 1 is 64 characters; at most 63"),
        ("api_1.example.com", "character 4 is '_'"),
        (".api.example.com", "starts with a dot"),
        ("", "it is empty"),
        ("fd00::1", "an IPv6 address goes in brackets: [fd00::1]"),
    ]
    for (endpoint, problem) in refused {
        let found = endpointIssues(endpoint)
        #expect(found.count == 1 && found.first?.severity == .error, "\(endpoint): \(found)")
        #expect(found.first?.message.contains(problem) == true, "\(endpoint): \(found.first?.message ?? "none")")
        #expect(found.first?.line == 6)
    }
    for endpoint in ["api.example.com", "api.example.com:443", "palette.local:8443", "10.10.0.4", "10.10.0.4:443",
                     "[fd00::4]", "[fd00::4]:443", "localhost", "xn--bcher-kva.example", "a.b-c.d9"] {
        #expect(endpointIssues(endpoint).isEmpty, "\(endpoint)")
    }
}
