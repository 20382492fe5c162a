import Foundation
import Testing
@testable import EdgeCore

/// The one child-process runner, run against real tools from coreutils and bash. Serialized: the
/// scratch-directory check must not see another test's run.
@Suite(.serialized)
struct ChildProcessTests {
    @Test func capturesStatusAndBothStreams() throws {
        let result = try ChildProcess.run("bash", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(result.status == 3)
        #expect(!result.succeeded)
        #expect(result.stdout == "out\n")
        #expect(result.stderr == "err\n")
        #expect(result.outcome == "exited with 3")
    }

    @Test func mergedOutputKeepsTheOrder() throws {
        let result = try ChildProcess.run("bash", ["-c", "echo one; echo two >&2; echo three"], mergeOutput: true)
        #expect(result.succeeded)
        #expect(result.stdout == "one\ntwo\nthree\n")
        #expect(result.stderr.isEmpty)
    }

    /// A tool printing far more than the limit: only the tail is kept, and the caller is told.
    @Test func outputIsBoundedToItsTail() throws {
        let result = try ChildProcess.run("bash", ["-c", "head -c 5000000 /dev/zero | tr '\\0' x; echo; echo LAST"],
                                          captureLimit: 4096)
        #expect(result.succeeded)
        #expect(result.truncated)
        #expect(result.stdout.utf8.count == 4096)
        #expect(result.stdout.hasSuffix("x\nLAST\n"))
    }

    @Test func aSignalIsNotAnExitStatus() throws {
        let result = try ChildProcess.run("bash", ["-c", "kill -9 $$"])
        #expect(result.signaled)
        #expect(result.status == 9)
        #expect(!result.succeeded)
        #expect(result.outcome == "was killed by signal 9")
    }

    @Test func stdinIsEmptySoAPromptCannotHang() throws {
        let result = try ChildProcess.run("cat", [])
        #expect(result.succeeded)
        #expect(result.stdout.isEmpty)
    }

    @Test func aMissingToolIsAnEdgeFlashErrorNamingIt() {
        #expect(throws: EdgeError.self) { try ChildProcess.run("edgeflash-no-such-tool", []) }
        do {
            _ = try ChildProcess.run("edgeflash-no-such-tool", [])
        } catch {
            #expect(error.message.contains("edgeflash-no-such-tool is not installed"))
            #expect(error.exitStatus == .failure)
            #expect(error.hint?.contains("apt-get install") == true)
        }
    }

    @Test func findLooksOnTheGivenPath() {
        #expect(ChildProcess.find("sh", path: "/nonexistent:/bin") == "/bin/sh")
        #expect(ChildProcess.find("sh", path: "/nonexistent") == nil)
        #expect(ChildProcess.find("/bin/sh") == "/bin/sh")
    }

    @Test func noScratchFilesAreLeftBehind() throws {
        let before = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("edgeflash-child-") }
        _ = try ChildProcess.run("true", [])
        let after = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("edgeflash-child-") }
        #expect(Set(after).isSubset(of: Set(before)))
    }
}
