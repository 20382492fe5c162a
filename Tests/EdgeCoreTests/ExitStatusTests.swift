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
