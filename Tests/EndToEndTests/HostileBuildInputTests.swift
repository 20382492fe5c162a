import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Hostile build inputs through the built binary: each must end promptly with its documented exit
/// status and message. `timeout` turns a regression into a failure (status 124), not a hung suite.
@Suite(.serialized)
struct HostileBuildInputTests {
    let dir: URL

    init() throws {
        dir = try TemporaryDirectory.make(prefix: "edgeflash-hostile")
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ShellResult {
        try Shell.run("timeout", ["--kill-after=10", "120", EdgeFlashBinary.url.path] + arguments, environment: environment)
    }

    /// The 579-byte "billion laughs": nine levels of nine aliases under a valid site.
    static let aliasBomb: String = {
        var lines = ["#cloud-config", "stylus:", "  site:", "    edgeHostToken: tok-PLANTED-bomb-e2e", "    projectName: p",
                     "lol0: &lol0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        for level in 1...9 {
            lines.append("lol\(level): &lol\(level) [" + Array(repeating: "*lol\(level - 1)", count: 9).joined(separator: ",") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    static let bombMessage = ":12:14: error: YAML aliases expand the document past 1000000 nodes at this alias (an alias bomb?); refused"

    @Test func aliasBombInUserDataIsRefusedByEveryCommand() throws {
        let bomb = try write("bomb.yaml", Self.aliasBomb)
        let image = dir.appendingPathComponent("site.img").path
        try FileManager.default.copyItem(atPath: InstallerImages.ipxe, toPath: image)
        let text = try run(["user-data", "validate", bomb])
        #expect(text.status == 6)
        #expect(text.stdout.contains(bomb + Self.bombMessage), "\(text.stdout)\(text.stderr)")
        let json = try run(["user-data", "validate", bomb, "--json"])
        #expect(json.status == 6)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let issues = try #require(object["issues"] as? [[String: Any]])
        #expect(issues.count == 1 && issues[0]["line"] as? Int == 12 && issues[0]["column"] as? Int == 14)
        let show = try run(["user-data", "show", bomb])
        #expect(show.status == 0 && show.stdout.contains("edgeHostToken: <redacted>"))
        let inject = try run(["inject", image, "--user-data", bomb])
        #expect(inject.status == 6)
        #expect(inject.stderr.contains(bomb + Self.bombMessage), "\(inject.stderr)")
        let plan = try run(["build", "plan", "--arg", try write("plan.arg", "K8S_VERSION=1.27.2\n"), "--user-data", bomb, "--pe-version", "v4.4.12",
                            "--output", dir.appendingPathComponent("out").path])
        #expect(plan.status == 6)
        #expect(plan.stderr.hasPrefix(bomb + ":12: error: YAML aliases expand the document past 1000000 nodes"), "\(plan.stderr)")
        for result in [text, json, show, inject, plan] {
            #expect(result.status != 124, "timed out")
            #expect(!(result.stdout + result.stderr).contains("PLANTED"))
            ReliabilityLedger.record("hostile YAML and .arg", "alias bomb through one command",
                                     result.status == 124 ? .hang : (result.status > 128 ? .crash : .caught))
        }
    }

    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func aliasBombIsRefusedByWriteBeforeTheDiskIsTouched() throws {
        let bomb = try write("bomb.yaml", Self.aliasBomb)
        let loop = try LoopDevice(size: 16 << 20)
        defer { loop.detach() }
        let result = try run(["write", InstallerImages.ipxe, loop.path, "--yes", "--user-data", bomb])
        #expect(result.status == 6, "\(result.stderr)")
        #expect(result.stderr.contains(bomb + Self.bombMessage), "\(result.stderr)")
        #expect(try Shell.bash("blkid -p \(loop.path) || true").isEmpty)
    }

    @Test func aliasBombInASitesFileIsRefusedWithItsLine() throws {
        let template = try write("template.yaml", "#cloud-config\nstylus:\n  site:\n    edgeHostToken: {{token}}\n")
        let sites = try write("sites.yaml", Self.aliasBomb.replacingOccurrences(of: "#cloud-config\n", with: "")
                                + "sites:\n  - name: s\n    token: tok-PLANTED-site\n")
        let result = try run(["user-data", "validate", template, "--sites", sites, "--site", "s"])
        #expect(result.status == 6)
        #expect(result.stderr.contains("\(sites):11: YAML aliases expand the document past 1000000 nodes"), "\(result.stderr)")
    }

    /// 40 lines that each double the one before: refused on the line that passes 64 KiB, naming the
    /// argument and the variable, instead of allocating until the process dies.
    @Test func doublingArgVariablesAreRefusedNamingTheLine() throws {
        let lines = ["A0=0123456789abcdef"] + (1..<40).map { "A\($0)=$A\($0 - 1)$A\($0 - 1)" }
        let arg = try write("doubling.arg", lines.joined(separator: "\n") + "\n")
        for command in ["plan", "iso"] {
            let extra = command == "iso" ? ["--base-iso", InstallerImages.ipxe] : ["--pe-version", "v4.4.12", "--k8s-versions", try write("k.json", #"{"k3s": ["1.27.2"]}"#)]
            let result = try run(["build", command, "--arg", arg, "--output", dir.appendingPathComponent("out").path] + extra)
            #expect(result.status == 6, "\(result.stderr)")
            #expect(result.stderr.contains("\(arg):14: error: A13 grows past 65536 bytes when $A12 is expanded"), "\(result.stderr)")
        }
    }

    @Test func aCustomTagMakingTheImageTagTooLongIsRefusedOnItsLine() throws {
        let arg = try write("tag.arg", "K8S_VERSION=1.27.2\nCUSTOM_TAG=\(String(repeating: "a", count: 110))\n")
        let result = try run(["build", "plan", "--arg", arg, "--pe-version", "v4.4.12", "--output", dir.appendingPathComponent("out").path])
        #expect(result.status == 6)
        #expect(result.stderr.contains("\(arg):2: error: CUSTOM_TAG makes the provider image tag 129 characters long; registries refuse tags over 128"), "\(result.stderr)")
    }

    /// Values from the environment (or `.arg`) never appear in a message; only names do.
    @Test func environmentValuesNeverAppearInErrors() throws {
        let arg = try write("env.arg", "CUSTOM_TAG=$CI_SECRET\nIMAGE_REGISTRY=$CI_SECRET\nHTTP_PROXY=http://u:${CI_SECRET}@\nCLUSTERCONFIG=$CI_SECRET\nARCH=$CI_SECRET x\n")
        let environment = ["CI_SECRET": "Planted_Secret_42", "SOURCE_DATE_EPOCH": "Planted_Secret_42"]
        let plan = try run(["build", "plan", "--arg", arg, "--pe-version", "v4.4.12", "--output", dir.appendingPathComponent("out").path],
                           environment: environment)
        #expect(plan.status == 6)
        #expect(plan.stderr.contains("\(arg):1: error: CUSTOM_TAG is not lowercase alphanumeric"))
        #expect(!plan.stderr.contains("Planted_Secret"), "\(plan.stderr)")
        let iso = try run(["build", "iso", "--base-iso", InstallerImages.ipxe, "--arg", try write("ok.arg", "ISO_NAME=x\n"),
                           "--output", dir.appendingPathComponent("out").path], environment: environment)
        #expect(iso.status == 6)
        #expect(iso.stderr.contains("SOURCE_DATE_EPOCH is not a number"))
        #expect(!(iso.stdout + iso.stderr).contains("Planted_Secret"), "\(iso.stderr)")
    }
}

/// `build iso` inputs outside the `.arg`'s directory, symlinks, and Ctrl-C while staging.
@Suite(.serialized)
struct BuildISOInputTests {
    let root: URL
    let build: URL

    init() throws {
        root = try TemporaryDirectory.make(prefix: "edgeflash-iso-inputs")
        build = root.appendingPathComponent("site")
        try FileManager.default.createDirectory(at: build.appendingPathComponent("real"), withIntermediateDirectories: true)
        try Data("#cloud-config\nstylus:\n  site:\n    edgeHostToken: tok-PLANTED-iso\n    projectName: p\n".utf8)
            .write(to: build.appendingPathComponent("real/user-data.yaml"))
        try Data("edge: custom\n".utf8).write(to: build.appendingPathComponent("real/edge.yaml"))
        try Data("outside\n".utf8).write(to: root.appendingPathComponent("outside.yaml"))
        try FileManager.default.createSymbolicLink(atPath: build.appendingPathComponent("user-data").path, withDestinationPath: "real/user-data.yaml")
        try FileManager.default.createSymbolicLink(atPath: build.appendingPathComponent("edge-link.yaml").path, withDestinationPath: "real/edge.yaml")
        try FileManager.default.createSymbolicLink(atPath: build.appendingPathComponent("escape.yaml").path, withDestinationPath: "../outside.yaml")
    }

    func run(_ arg: String, output: String = "out", environment: [String: String] = [:]) throws -> ShellResult {
        let argPath = build.appendingPathComponent(".arg")
        try Data(arg.utf8).write(to: argPath)
        return try Shell.run("timeout", ["--kill-after=10", "300", EdgeFlashBinary.url.path, "build", "iso", "--base-iso", InstallerImages.ipxe,
                                         "--arg", argPath.path, "--output", root.appendingPathComponent(output).path],
                             environment: environment)
    }

    @Test(arguments: [
        ("CLUSTERCONFIG=../outside.yaml", "CLUSTERCONFIG names a file that goes up with '..', out of the .arg's directory"),
        ("CLUSTERCONFIG=/etc/passwd", "CLUSTERCONFIG names a file that is outside the .arg's directory"),
        ("EDGE_CUSTOM_CONFIG=escape.yaml", "EDGE_CUSTOM_CONFIG names a file that is a symlink that leads outside the .arg's directory"),
    ])
    func filesOutsideTheArgsDirectoryAreRefused(_ line: String, _ message: String) throws {
        let result = try run("ISO_NAME=x\n" + line + "\n")
        #expect(result.status == 6)
        #expect(result.stderr.contains("\(build.path)/.arg:2: error: \(message)"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out/x.iso").path))
    }

    /// Symlinks inside are followed: the ISO holds regular files with the targets' bytes.
    @Test func symlinkedInputsAreStagedAsTheirBytes() throws {
        let result = try run("ISO_NAME=x\nEDGE_CUSTOM_CONFIG=edge-link.yaml\n")
        #expect(result.status == 0, "\(result.stderr)")
        let iso = root.appendingPathComponent("out/x.iso").path
        let listing = try Shell.bash("xorriso -indev '\(iso)' -lsl /files-iso/config.yaml /.edge_custom_config.yaml 2>/dev/null")
        #expect(listing.split(separator: "\n").allSatisfy { $0.hasPrefix("-") }, "\(listing)")
        let extracted = root.appendingPathComponent("config.yaml").path
        try Shell.bash("xorriso -osirrox on -indev '\(iso)' -extract /files-iso/config.yaml '\(extracted)' 2>/dev/null")
        #expect(try Data(contentsOf: URL(fileURLWithPath: extracted)) == Data(contentsOf: build.appendingPathComponent("real/user-data.yaml")))
    }

    /// SIGINT while xorriso writes the ISO: exit 130, and nothing is left, neither in the output
    /// directory nor in TMPDIR; while it ran, the temporary ISO (it holds the user-data) was 0600.
    @Test func interruptedStagingLeavesNothingBehind() throws {
        // A 256 MiB sparse content bundle keeps xorriso writing long enough to be caught mid-way.
        let content = build.appendingPathComponent("content-big")
        try FileManager.default.createDirectory(at: content, withIntermediateDirectories: true)
        try Shell.bash("truncate -s 256M '\(content.path)/big.zst'")
        defer { try? FileManager.default.removeItem(at: content) }
        let temporaryDirectory = root.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporaryDirectory, withIntermediateDirectories: true)
        let output = root.appendingPathComponent("interrupted")
        try Data("ISO_NAME=x\n".utf8).write(to: build.appendingPathComponent(".arg"))

        let process = Process()
        process.executableURL = EdgeFlashBinary.url
        process.arguments = ["build", "iso", "--base-iso", InstallerImages.ipxe, "--arg", build.appendingPathComponent(".arg").path,
                             "--output", output.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": temporaryDirectory.path]) { $1 }
        let stderr = temporaryDirectory.deletingLastPathComponent().appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardOutput = FileHandle.nullDevice
        try process.run()

        // Catch the xorriso that writes the ISO and stop it, so the signal surely comes mid-write.
        let staging = try #require(Self.waitForChild(of: process.processIdentifier, withArgument: "-outdev"), "xorriso never started")
        kill(staging, SIGSTOP)
        let temporaries = try FileManager.default.contentsOfDirectory(atPath: output.path).filter { $0.hasPrefix(".x.iso.tmp-") }
        let temporary = try #require(temporaries.first, "no temporary ISO")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: output.appendingPathComponent(temporary).path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)

        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let message = try String(contentsOf: stderr, encoding: .utf8)
        #expect(message.contains("edgeflash: interrupted: no ISO was written and the temporary files are removed"), "\(message)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path) == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporaryDirectory.path) == [])
        #expect(kill(staging, 0) == -1, "xorriso \(staging) still runs")
    }

    /// A child of `pid` (any of its threads) whose command line has `argument`, within 60 s.
    static func waitForChild(of pid: Int32, withArgument argument: String) -> Int32? {
        for _ in 0..<6000 {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            for task in tasks {
                let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
                for child in children.split(separator: " ").compactMap({ Int32($0) }) {
                    let commandLine = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(child)/cmdline"))) ?? Data()
                    if commandLine.split(separator: 0).contains(Data(argument.utf8)) { return child }
                }
            }
            usleep(10_000)
        }
        return nil
    }
}
