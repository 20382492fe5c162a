import Foundation
import Testing
import TestSupport
@testable import BuildStage

/// CLUSTERCONFIG and EDGE_CUSTOM_CONFIG on a real directory tree: a build directory holding `.arg`,
/// a file and symlinks inside it, and a secret file beside it, outside.
struct BuildContextFileTests {
    let root: URL
    let build: URL

    init() throws {
        root = try TemporaryDirectory.make(prefix: "edgeflash-context")
        build = root.appendingPathComponent("build")
        try FileManager.default.createDirectory(at: build.appendingPathComponent("configs"), withIntermediateDirectories: true)
        try Data("edge: config\n".utf8).write(to: build.appendingPathComponent("configs/edge.yaml"))
        try Data("secret\n".utf8).write(to: root.appendingPathComponent("outside.txt"))
        let links: [(String, String)] = [("inside-link.yaml", "configs/edge.yaml"), ("outside-link", "../outside.txt"),
                                         ("absolute-link", root.appendingPathComponent("outside.txt").path),
                                         ("dangling", "configs/nothing.yaml"), ("configs-link", "configs")]
        for (name, target) in links {
            try FileManager.default.createSymbolicLink(atPath: build.appendingPathComponent(name).path, withDestinationPath: target)
        }
    }

    func resolve(_ path: String) -> Result<String, BuildContextFile.Problem> {
        ArgValidator(baseDirectory: build.path).buildContextFile(path)
    }

    @Test func filesInsideResolveToTheirRealPath() throws {
        let real = try #require(BuildContextFile.realPath(build.appendingPathComponent("configs/edge.yaml").path))
        for path in ["configs/edge.yaml", "./configs/edge.yaml", "inside-link.yaml", "configs-link/edge.yaml",
                     build.appendingPathComponent("configs/edge.yaml").path] {
            #expect(try resolve(path).get() == real, "\(path)")
        }
    }

    @Test(arguments: [
        ("../outside.txt", "goes up with '..', out of the .arg's directory"),
        ("configs/../../outside.txt", "goes up with '..', out of the .arg's directory"),
        ("/etc/hostname", "is outside the .arg's directory"),
        ("outside-link", "is a symlink that leads outside the .arg's directory"),
        ("absolute-link", "is a symlink that leads outside the .arg's directory"),
        ("dangling", "does not exist"),
        ("configs", "is a directory, not a file"),
    ])
    func pathsThatLeaveTheDirectoryOrAreNoFileAreRefused(_ path: String, _ reason: String) {
        guard case .failure(let problem) = resolve(path) else {
            Issue.record("\(path) was accepted")
            return
        }
        #expect(problem.reason == reason)
    }

    /// Through the validator: the refusal is on the argument's line and names no path.
    @Test func theValidatorReportsTheLineAndNoPath() throws {
        let argFile = ArgFile.parse("ISO_NAME=x\nCLUSTERCONFIG=../outside.txt\nEDGE_CUSTOM_CONFIG=outside-link", file: ".arg")
        let validator = ArgValidator(baseDirectory: build.path, checksImageArguments: false)
        let issues = validator.validate(argFile, arguments: BuildArguments(argFile), k8sVersions: nil)
        #expect(issues.map(\.formatted) == [
            ".arg:2: error: CLUSTERCONFIG names a file that goes up with '..', out of the .arg's directory (allowed: a path inside the .arg's directory (CanvOS's build context))",
            ".arg:3: error: EDGE_CUSTOM_CONFIG names a file that is a symlink that leads outside the .arg's directory (allowed: a path inside the .arg's directory (CanvOS's build context))",
        ])
    }
}
