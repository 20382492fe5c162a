@testable import BuildStage
import Foundation
import Testing

private let secretText = """
    #cloud-config
    stylus:
      site:
        edgeHostToken: tok-PLANTED-1 # the token
        name: site-a
        inline: {apiToken: tok-PLANTED-2, keep: visible}
      registryCredentials:
        domain: reg.example.com
        username: robot
        password: "tok-PLANTED-3"
    users:
      - name: kairos
        passwd: tok-PLANTED-4
    ca:
      clientSecret: |
        tok-PLANTED-5
        more-secret-lines
    write_files:
      - content: |
          -----BEGIN OPENSSH PRIVATE KEY-----
          tok-PLANTED-6
          -----END OPENSSH PRIVATE KEY-----
    after: visible-too
    """

@Test func redactionRemovesEverySecretAndKeepsTheRest() {
    let redacted = UserDataRedactor.redact(secretText)
    for n in 1...6 { #expect(!redacted.contains("tok-PLANTED-\(n)"), "secret \(n) leaked") }
    #expect(!redacted.contains("robot"))
    #expect(!redacted.contains("more-secret-lines"))
    for kept in ["name: site-a", "keep: visible", "- name: kairos", "after: visible-too", "#cloud-config", "registryCredentials:"] {
        #expect(redacted.contains(kept), "lost \(kept)")
    }
    #expect(redacted.contains("edgeHostToken: <redacted>"))
}

@Test func secretKeyNames() {
    for key in ["edgeHostToken", "password", "passwd", "registryCredentials", "client_secret", "privateKey"] {
        #expect(UserDataRedactor.isSecretKey(key), "\(key)")
    }
    for key in ["name", "projectName", "paletteEndpoint", "tags"] { #expect(!UserDataRedactor.isSecretKey(key), "\(key)") }
}

@Test func secretValuesAreCollectedForScrubbing() {
    let values = UserDataRedactor.secretValues(in: secretText)
    for n in [1, 2, 3, 4] { #expect(values.contains("tok-PLANTED-\(n)")) }
    let scrubbed = UserDataRedactor.scrub("failed near tok-PLANTED-3!", secrets: values)
    #expect(scrubbed == "failed near <redacted>!")
}

/// A file saved on Windows: "\r\n" is one Character in Swift, so splitting on "\n" saw one line and
/// the block secrets (password under registryCredentials, the private key) went through unredacted.
@Test func crlfFilesAreRedactedLineByLine() {
    let crlf = secretText.replacingOccurrences(of: "\n", with: "\r\n")
    let redacted = UserDataRedactor.redact(crlf)
    for n in 1...6 { #expect(!redacted.contains("tok-PLANTED-\(n)"), "secret \(n) leaked") }
    #expect(!redacted.contains("robot") && !redacted.contains("more-secret-lines"))
    #expect(redacted.contains("name: site-a") && redacted.contains("after: visible-too"))
    let values = UserDataRedactor.secretValues(in: crlf)
    #expect(values.contains("tok-PLANTED-1") && !values.contains { $0.hasSuffix("\r") })
}

/// A long single line (a base64 `write_files` payload) is redacted in one pass: the inline-secret
/// pattern used to backtrack quadratically on it (`user-data show` on a 1 MB line ran for minutes).
@Test func aLongLineIsRedactedWithoutBacktracking() {
    let payload = String(repeating: "QUJD", count: 200_000)        // 800 KB, no newline
    // The payload shares its line with a flow-style secret, so the pattern really runs over it.
    let text = "#cloud-config\nwrite_files:\n  - {content: \(payload), token: tok-PLANTED-7}\n"
    let redacted = UserDataRedactor.redact(text)
    #expect(redacted.contains(payload))
    #expect(!redacted.contains("tok-PLANTED-7"))
}

/// Each way YAML writes a value over several lines, under a secret key: no line of it is shown,
/// and the keys around it are.
@Test(arguments: [
    "edgeHostToken: tok-PLANTED-a1\n      tok-PLANTED-a2\n      tok-PLANTED-a3",
    "edgeHostToken: \"tok-PLANTED-a1\n      tok-PLANTED-a2\\\n      tok-PLANTED-a3\"",
    "edgeHostToken: \"tok-PLANTED-a1\n  tok-PLANTED-a2 \\\" still inside\n tok-PLANTED-a3\"",
    "edgeHostToken: 'tok-PLANTED-a1\n      tok-PLANTED-a2 '' still inside\n      tok-PLANTED-a3'",
    "edgeHostToken: |\n      tok-PLANTED-a1\n\n      tok-PLANTED-a2\n      tok-PLANTED-a3",
    "edgeHostToken: >-\n      tok-PLANTED-a1\n      tok-PLANTED-a2\n      tok-PLANTED-a3",
    "edgeHostToken:\n      tok-PLANTED-a1\n      tok-PLANTED-a2 tok-PLANTED-a3",
])
func multiLineSecretValuesAreRedactedWhole(_ value: String) {
    let text = "#cloud-config\nstylus:\n  site:\n    \(value)\n    name: site-a\n# after\n"
    let redacted = UserDataRedactor.redact(text)
    #expect(!redacted.contains("PLANTED"), "\(redacted)")
    #expect(redacted.contains("edgeHostToken:") && redacted.contains("    name: site-a") && redacted.contains("# after"))
    // Every line of the value, as the file has it, is known, for scrubbing a message that quotes one.
    let secrets = UserDataRedactor.secretValues(in: text)
    for line in value.split(separator: "\n") {
        #expect(!UserDataRedactor.scrub("near " + line, secrets: secrets).contains("PLANTED"), "\(line)")
    }
}

/// What counts as a secret beyond the listed keys: credentials in URLs anywhere, passphrase, auth,
/// apiKey, secret keys, `key=value` lines in a file's content, private keys in `write_files`
/// (block or escaped), and a token that is also a key or an anchor repeated under a secret key.
@Test func widerSecretsAreRedactedAndKnown() {
    let text = #"""
        #cloud-config
        stylus:
          site:
            edgeHostToken: tok-PLANTED-b1
            network:
              httpProxy: http://proxyuser:tok-PLANTED-b2@proxy.example.com:3128
              httpsProxy: "https://tok-PLANTED-b3@proxy.example.com"
            tags:
              tok-PLANTED-b1: "as a key"
        luks:
          passphrase: tok-PLANTED-b4
        registry:
          auth: tok-PLANTED-b5
          apiKey: tok-PLANTED-b6
          client-secret: tok-PLANTED-b7
        defaults: &shared tok-PLANTED-b8
        users:
          - name: kairos
            passwd: *shared
        write_files:
          - path: /etc/app.env
            content: |
              APP_PASSWORD=tok-PLANTED-b9
              LOG_LEVEL=debug
          - path: /etc/ssh/key
            content: |
              -----BEGIN OPENSSH PRIVATE KEY-----
              tok-PLANTED-c1
              -----END OPENSSH PRIVATE KEY-----
          - path: /etc/tls/key
            content: "-----BEGIN RSA PRIVATE KEY-----\ntok-PLANTED-c2\n-----END RSA PRIVATE KEY-----\n"
        # proxy for later: socks5://admin:tok-PLANTED-c3@10.0.0.1
        """#
    let redacted = UserDataRedactor.redact(text)
    #expect(!redacted.contains("PLANTED"), "\(redacted)")
    for kept in ["proxy.example.com:3128", "LOG_LEVEL=debug", "- name: kairos", "path: /etc/app.env", "10.0.0.1", "\"as a key\""] {
        #expect(redacted.contains(kept), "lost \(kept)")
    }
    let secrets = UserDataRedactor.secretValues(in: text)
    for secret in ["b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "c1", "c2", "c3"] {
        #expect(UserDataRedactor.scrub("x tok-PLANTED-\(secret) y", secrets: secrets) == "x <redacted> y", "\(secret)")
    }
}

/// A secret used as a mapping key shows up in the validator's messages (they name keys): the report
/// is scrubbed at the source, for every command that prints it.
@Test func validatorMessagesNeverNameASecret() throws {
    let text = "#cloud-config\nstylus:\n  site:\n    edgeHostToken: tok-PLANTED-d1\n    projectName: p\n    tags:\n      tok-PLANTED-d1: 5\n"
    let report = UserDataValidator.validate(Data(text.utf8), file: "user-data")
    let issue = try #require(report.issues.first)
    #expect(issue.message == "tag '<redacted>' must be a string (quote it)")
}

/// Keys are not secrets under a secret mapping, and YAML keywords are not secrets anywhere: scrubbing
/// either would blank ordinary words in every message.
@Test func keysAndKeywordsAreNotScrubbed() {
    let text = "registryCredentials:\n  domain: reg.example.com\n  username: robot\n  insecure: true\n"
    let secrets = UserDataRedactor.secretValues(in: text)
    #expect(Set(secrets) == ["reg.example.com", "robot"])
}

/// Overlapping and adjacent secrets are covered as one; text between them stays.
@Test func overlappingSecretsAreScrubbedAsOne() {
    #expect(UserDataRedactor.scrub("xxabcdefyy abcd-", secrets: ["abcd", "cdef"]) == "xx<redacted>yy <redacted>-")
    #expect(UserDataRedactor.scrub("abcdabcd", secrets: ["abcd"]) == "<redacted>")
    #expect(UserDataRedactor.scrub("zzzabcdefghzz", secrets: ["bcde", "fgh", "abcdefgh"]) == "zzz<redacted>zz")
    #expect(UserDataRedactor.scrub("short abc", secrets: ["abc"]) == "short abc")
    #expect(UserDataRedactor.scrub("héllo wörld", secrets: ["wörld"]) == "héllo <redacted>")
}

/// A 1 MiB file of tens of thousands of secrets is scrubbed in one pass over the text (it used to
/// go over the text once per secret).
@Test func manySecretsAreScrubbedInOnePass() {
    let text = "#cloud-config\n" + (0..<40_000).map { "password\($0): tok-\($0)-PLANTED" }.joined(separator: "\n")
    let redacted = UserDataRedactor.redact(text)
    #expect(!redacted.contains("PLANTED"))
    #expect(redacted.contains("password39999: <redacted>"))
}

/// Aliases that would expand a few hundred bytes into billions of nodes ("billion laughs"): the
/// scan stops at the limit, at the alias that passed it; the validator reports it with its line
/// and never composes the document.
@Test func aliasBombsAreRefusedAtTheAlias() throws {
    let bomb = aliasBomb(levels: 9)
    let scan = YAMLScan(bomb)
    let limit = try #require(scan.aliasLimitExceeded)
    // Each alias on line 11 (level 5) adds 66430 nodes; the first on line 12 adds 597871 and passes a million.
    #expect(limit.line == 12 && limit.column == 14)
    let report = UserDataValidator.validate(Data(bomb.utf8), file: "bomb.yaml")
    #expect(report.issues.map { $0.formatted(file: "bomb.yaml") } == [
        "bomb.yaml:12:14: error: YAML aliases expand the document past 1000000 nodes at this alias (an alias bomb?); refused"])
    #expect(!UserDataRedactor.redact(bomb).contains("tok-PLANTED-bomb"))
    // A few levels are fine, and are counted as what they expand to.
    #expect(YAMLScan(aliasBomb(levels: 5)).aliasLimitExceeded == nil)
    #expect(UserDataValidator.validate(Data(aliasBomb(levels: 5).utf8), file: "ok.yaml").isValid)
}

/// `lol0` a list of 9 strings, each `lolN` a list of 9 aliases of `lolN-1`, under a valid site.
func aliasBomb(levels: Int) -> String {
    var lines = ["#cloud-config", "stylus:", "  site:", "    edgeHostToken: tok-PLANTED-bomb", "    projectName: p",
                 "lol0: &lol0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
    for level in 1...levels {
        lines.append("lol\(level): &lol\(level) [" + Array(repeating: "*lol\(level - 1)", count: 9).joined(separator: ",") + "]")
    }
    return lines.joined(separator: "\n") + "\n"
}

/// Where an alias points into a secret, the anchored value is a secret where it was written too.
@Test func anchorsRepeatedUnderASecretKeyAreSecrets() {
    let text = "common: &creds\n  user: robot\n  pass: tok-PLANTED-e1\nregistryCredentials: *creds\nname: visible-name\n"
    let secrets = UserDataRedactor.secretValues(in: text)
    #expect(secrets.contains("tok-PLANTED-e1") && secrets.contains("robot") && !secrets.contains("visible-name"))
    #expect(!UserDataRedactor.redact(text).contains("tok-PLANTED-e1"))
}
