import BuildStage
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
