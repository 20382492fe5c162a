import EdgeCore
import Testing

struct SecretScrubberTests {
    struct Refusal: EdgeFlashError, Equatable {
        let message: String
        var hint: String? { "see \(message)" }
        var exitStatus: EdgeCore.ExitStatus { .refused }
    }

    struct Unknown: Error, CustomStringConvertible {
        var description: String { "lost tok-abc-123 somewhere" }
    }

    let scrubber = SecretScrubber(secrets: ["tok-abc", "tok-abc-123", ""])

    /// A secret that contains another is replaced whole, not left with a tail.
    @Test func replacesEveryOccurrenceLongestFirst() {
        #expect(scrubber.scrub("a tok-abc-123 b tok-abc c") == "a <redacted> b <redacted> c")
        #expect(SecretScrubber.none.scrub("tok-abc") == "tok-abc")
    }

    @Test func anErrorWithoutASecretKeepsItsType() {
        let error = Refusal(message: "no room on /dev/sdb")
        #expect(scrubber.scrub(error) as? Refusal == error)
    }

    @Test func anErrorQuotingASecretLosesItFromMessageAndHint() {
        let scrubbed = scrubber.scrub(Refusal(message: "bad value tok-abc-123"))
        #expect(scrubbed.message == "bad value <redacted>")
        #expect(scrubbed.hint == "see bad value <redacted>")
        #expect(scrubbed.exitStatus == .refused)
        #expect(scrubber.scrub(Unknown()).message == "lost <redacted> somewhere")
    }
}
