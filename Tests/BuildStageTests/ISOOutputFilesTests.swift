import EdgeCore
import Foundation
import Testing
import TestSupport
@testable import BuildStage

/// Publishing an ISO over an earlier build: the checksum never names an ISO that is not there.
struct ISOOutputFilesTests {
    @Test func anEarlierChecksumIsReplacedAndAFailureLeavesNoneNamingAnotherISO() throws {
        let directory = try TemporaryDirectory.make(prefix: "edgeflash-iso-output")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = ISOOutputFiles(directory: directory, isoName: "live")
        try Data("earlier iso".utf8).write(to: output.iso)
        try Data("0000  live.iso\n".utf8).write(to: output.checksumFile)

        try Data("new iso".utf8).write(to: output.temporaryISO)
        let (hex, size) = try output.publish(interrupt: StagingInterrupt()) { _ in }
        #expect(size == 7)
        #expect(try String(contentsOf: output.checksumFile, encoding: .utf8) == "\(hex)  live.iso\n")
        #expect(try Shell.bash("cd '\(directory.path)' && sha256sum -c live.iso.sha256") == "live.iso: OK\n")

        // The earlier checksum cannot be removed (a directory with a file in it): nothing is
        // replaced, the earlier ISO stays.
        try FileManager.default.removeItem(at: output.checksumFile)
        try FileManager.default.createDirectory(at: output.checksumFile, withIntermediateDirectories: false)
        try Data().write(to: output.checksumFile.appendingPathComponent("x"))
        try Data("third iso".utf8).write(to: output.temporaryISO)
        let error = try #require(throws: EdgeError.self) { try output.publish(interrupt: StagingInterrupt()) { _ in } }
        #expect(error.code == .io && error.message.hasPrefix("could not remove the earlier \(output.checksumFile.path)"))
        #expect(try String(contentsOf: output.iso, encoding: .utf8) == "new iso")
        output.removeTemporaries()
    }

    @Test func freeSpaceIsTold() throws {
        let available = try #require(ISOOutputFiles.availableBytes(in: URL(fileURLWithPath: "/tmp")))
        #expect(available > 0)
    }
}
