import Testing
@testable import EdgeCore

@Test func exitCodesAreDistinct() {
    let codes = ExitStatus.allCases.map(\.rawValue)
    #expect(Set(codes).count == codes.count)
}

@Test func errorDescriptionIncludesHint() {
    let error = EdgeError(.refused, "disk /dev/sdb is mounted", hint: "Pass --unmount to unmount it first.")
    #expect(error.description == "disk /dev/sdb is mounted\nPass --unmount to unmount it first.")
    #expect(error.exitStatus == .refused)
}

@Test func eachErrorCodeFixesItsExitStatus() {
    let table: [(EdgeError.Code, EdgeCore.ExitStatus)] = [
        (.malformed, .invalidInput), (.io, .ioError), (.refused, .refused), (.mismatch, .mismatch),
        (.interrupted, .interrupted), (.notConfirmed, .notConfirmed), (.usage, .usage),
        (.unavailable, .failure), (.failure, .failure),
    ]
    for (code, status) in table {
        #expect(EdgeError(code, "x").exitStatus == status, "\(code)")
    }
    // Codes are told apart by name, not by status: two codes may share an exit status.
    #expect(EdgeError.Code.unavailable != EdgeError.Code.failure)
}

@Test func rewordingKeepsTheFailureKind() {
    let original = EdgeError(.mismatch, "token abc123 differs", hint: "abc123")
    let reworded = EdgeError(rewording: original, message: "token <redacted> differs", hint: nil)
    #expect(reworded.code == .mismatch)
    #expect(reworded.message == "token <redacted> differs")

    struct Typed: EdgeFlashError { var message: String { "m" }; var exitStatus: EdgeCore.ExitStatus { .refused } }
    let fromTyped = EdgeError(rewording: Typed(), message: "n", hint: nil)
    #expect(fromTyped.exitStatus == .refused)
    #expect(fromTyped.code.name == "Typed")
}
