import EdgeCore
import Foundation
import Testing
import TestSupport

/// `edgeflash build images --push` for real: buildah and podman build a CanvOS-shaped checkout
/// against stand-ins of CanvOS's images in a local registry, and what lands in the registry is
/// unpacked and read back.
@Suite(.serialized, .enabled(if: Privileges.isRoot, "needs root for buildah and podman (CI runs as root)"))
final class BuildImagesTests {
    let standIns: CanvOSStandIns
    let checkout: URL

    init() throws {
        standIns = try CanvOSStandIns.shared.get()
        checkout = try TemporaryDirectory.make(prefix: "edgeflash-canvos")
        try write("Dockerfile", """
            ARG BASE
            FROM $BASE

            ARG OS_DISTRIBUTION
            RUN mkdir -p /certs
            COPY certs/ /certs/
            RUN echo "customized for $OS_DISTRIBUTION" > /etc/checkout-run && rm -rf /certs

            ########################### Add any other image customizations here #######################

            """)
        try write("certs/proxy-ca.pem", "stand-in certificate\n")
        try write("overlay/files/etc/rsyslog.d/49-stylus.conf", "# overlay stand-in\n")
        try write("overlay/files/etc/ssh/ssh_host_rsa_key", "overlay host key, removed\n")
        try write("overlay/files/opt/spectrocloud/bin/check-disk-size.sh", "# overlay outside etc/, only in the iso-image\n")
        try write(".edge-custom-config.yaml", "name: edge custom config stand-in\n")
        try write("k8s_version.json", #"{"k3s": ["\#(CanvOSStandIns.k8sVersions.joined(separator: #"", ""#))"]}"#)
    }

    deinit { try? FileManager.default.removeItem(at: checkout) }

    func write(_ path: String, _ text: String) throws {
        let url = checkout.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// `.arg` for ubuntu OS_VERSION (the stand-in base for it reports its systemd), pushing to a
    /// repository of its own in the local registry.
    func writeArg(osVersion: String, repo: String) throws {
        try write(".arg", """
            CUSTOM_TAG=demo
            IMAGE_REGISTRY=\(standIns.registry)
            OS_DISTRIBUTION=ubuntu
            IMAGE_REPO=\(repo)
            OS_VERSION=\(osVersion)
            K8S_DISTRIBUTION=k3s
            ARCH=amd64
            PE_VERSION=\(CanvOSStandIns.peVersion)
            \(standIns.argLines)
            """)
    }

    func buildImages(_ engine: String, _ extra: [String] = [], environment: [String: String]? = nil) throws -> ShellResult {
        try EdgeFlashBinary.run(["build", "images", "--builder", engine, "--push", "--jobs", "2",
                                 "--arg", checkout.appendingPathComponent(".arg").path,
                                 "--context", checkout.path, "--output", checkout.appendingPathComponent("build").path] + extra,
                                environment: environment)
    }

    func reference(_ repo: String, _ version: String) -> String {
        "\(standIns.registry)/\(repo):k3s-\(version)-\(CanvOSStandIns.peVersion)-demo"
    }

    /// The registry's view of an image: its digest and labels.
    func inspect(_ reference: String) throws -> (digest: String, labels: [String: String]) {
        let text = try Shell.bash("skopeo inspect --tls-verify=false 'docker://\(reference)'")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        return (try #require(object["Digest"] as? String), object["Labels"] as? [String: String] ?? [:])
    }

    /// The image's filesystem as the registry holds it, unpacked with skopeo and umoci.
    func unpack(_ reference: String) throws -> URL {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-unpacked")
        try Shell.bash("skopeo copy --quiet --src-tls-verify=false 'docker://\(reference)' 'oci:\(dir.path)/oci:image' && umoci raw unpack --image '\(dir.path)/oci:image' '\(dir.path)/rootfs' 2>/dev/null")
        return dir.appendingPathComponent("rootfs")
    }

    func contents(_ root: URL, _ path: String) -> String? {
        try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    func recordedDigests() throws -> [String: String] {
        let data = try Data(contentsOf: checkout.appendingPathComponent("build/images.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
    }

    /// Everything every provider image holds, whatever the systemd version.
    func expectCommonStages(_ root: URL, _ version: String, _ labels: [String: String], argSHA: String) throws {
        #expect(contents(root, "etc/checkout-run") == "customized for ubuntu\n")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("certs").path))
        let stubCalls = contents(root, String(CanvOSStandIns.stubLog.dropFirst())) ?? ""
        #expect(stubCalls.contains("apt-get install --no-install-recommends snapd"), "OS preparation did not run: \(stubCalls)")
        #expect(contents(root, "etc/dracut.conf.d/99-usb-media.conf")?.contains("xhci_pci_renesas") == true)
        #expect(contents(root, "etc/cos/bootargs.cfg")?.contains("systemd.unified_cgroup_hierarchy=1") == true)
        #expect(contents(root, "etc/kairos/branding/interactive_install_text") == "stylus stand-in\n")
        #expect(contents(root, "etc/kairos/80_stylus.yaml") == "name: stylus stand-in\n")
        #expect(contents(root, "etc/kairos/other.yaml") == nil)
        #expect(contents(root, "etc/kairos/branding/stylus_config.yaml") == "stylus:\n  standIn: true\n")
        #expect(contents(root, "etc/elemental/config.yaml") == "install:\n  standIn: true\n")
        #expect(contents(root, "oem/.edge_custom_config.yaml") == "name: edge custom config stand-in\n")
        #expect(contents(root, "etc/rsyslog.d/49-stylus.conf") == "# overlay stand-in\n")
        #expect(contents(root, "opt/spectrocloud/bin/check-disk-size.sh") == nil)
        #expect(contents(root, "opt/spectrocloud/bin/stylus-agent") == nil)
        #expect(contents(root, "usr/bin/etcdctl")?.hasSuffix("etcdctl stand-in\n\(CanvOSStandIns.upxMark)\n") == true)
        try expectNoHostKeysAndAnEmptyMachineID(root)
        #expect(labels["io.edgeflash.k8s.distribution"] == "k3s")
        #expect(labels["io.edgeflash.k8s.version"] == version)
        #expect(labels["io.edgeflash.pe.version"] == CanvOSStandIns.peVersion)
        #expect(labels["io.edgeflash.version"]?.hasPrefix("0.") == true)
        #expect(labels["io.edgeflash.arg.sha256"] == argSHA)
    }

    func expectNoHostKeysAndAnEmptyMachineID(_ root: URL) throws {
        for key in ["ssh_host_ed25519_key", "ssh_host_rsa_key"] {
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("etc/ssh/\(key)").path))
        }
        let machineID = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent("etc/machine-id").path)
        #expect(machineID[.size] as? Int == 0)
        #expect((machineID[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o444)
    }

    /// The iso-image in the registry: the base (the checkout's RUN), the whole stylus framework
    /// image, the whole of overlay/files/, no host keys, an empty read-only machine-id; its digest
    /// recorded with the others.
    func expectISOImagePushed(repo: String, _ result: ShellResult) throws {
        let ref = "\(standIns.registry)/\(repo):iso-image-\(CanvOSStandIns.peVersion)-demo"
        let (digest, labels) = try inspect(ref)
        #expect(try recordedDigests()[ref] == digest)
        #expect(result.stderr.contains("edgeflash: pushed \(ref) \(digest)\n"))
        #expect(labels["io.edgeflash.image"] == "iso-image")
        #expect(labels["io.edgeflash.arg.sha256"] == (try argSHA()))
        let root = try unpack(ref)
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        #expect(contents(root, "etc/checkout-run") == "customized for ubuntu\n")
        for (path, text) in CanvOSStandIns.stylusFiles {
            #expect(contents(root, path) == text, "\(path) of the stylus image")
        }
        #expect(contents(root, "etc/rsyslog.d/49-stylus.conf") == "# overlay stand-in\n")
        #expect(contents(root, "opt/spectrocloud/bin/check-disk-size.sh") == "# overlay outside etc/, only in the iso-image\n")
        #expect(contents(root, "usr/bin/k3s") == nil)
        #expect(contents(root, "usr/bin/etcdctl") == nil)
        try expectNoHostKeysAndAnEmptyMachineID(root)
    }

    /// buildah's (and podman's) working containers: a failed or stopped build must leave none,
    /// since each keeps an overlay mounted.
    func workingContainers() throws -> Set<String> {
        Set(try Shell.bash("buildah containers --quiet").split(separator: "\n").map(String.init))
    }

    func argSHA() throws -> String {
        try Shell.bash("sha256sum '\(checkout.appendingPathComponent(".arg").path)' | cut -d' ' -f1")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func buildahBakesKubernetesIntoImagesOfABaseWithSystemd249() throws {
        try writeArg(osVersion: "22.04", repo: "buildah-249")
        let dryRun = try buildImages("buildah", ["--dry-run", "--json"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")

        try expectBakedImagesPushed(repo: "buildah-249", try buildImages("buildah"))

        // The dry run printed the Containerfiles the real run built, less its probe notes.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(dryRun.stdout.utf8)) as? [String: Any])
        let images = try #require(object["images"] as? [[String: Any]])
        #expect(images.count == 3)
        for image in images + [try #require(object["isoImage"] as? [String: Any])] {
            let reference = try #require(image["reference"] as? String)
            let printed = try #require(image["containerfile"] as? String)
            let name = String(reference.map { $0 == "/" || $0 == ":" ? "_" : $0 })
            let built = try String(contentsOf: checkout.appendingPathComponent("build/images/\(name).Containerfile"), encoding: .utf8)
            #expect(printed.split(separator: "\n").filter { !$0.hasPrefix("# Only when") } == built.split(separator: "\n"))
        }
    }

    /// Three versions pushed, each holding what every stage put there, Kubernetes baked in.
    func expectBakedImagesPushed(repo: String, _ result: ShellResult) throws {
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("systemd 249: Kubernetes and the agent provider baked into the images"))
        let recorded = try recordedDigests()
        let sha = try argSHA()
        for version in CanvOSStandIns.k8sVersions {
            let ref = reference(repo, version)
            let (digest, labels) = try inspect(ref)
            #expect(recorded[ref] == digest)
            #expect(result.stderr.contains("edgeflash: pushed \(ref) \(digest)\n"))
            let root = try unpack(ref)
            defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
            try expectCommonStages(root, version, labels, argSHA: sha)
            #expect(contents(root, "system/providers/agent-provider-k3s")?.contains("agent-provider-k3s") == true)
            #expect(contents(root, "usr/bin/k3s")?.contains("v\(version)+k3s1") == true)
            #expect(contents(root, "opt/k8s/k3s-\(version).manifest") != nil)
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("etc/spectro-sysext/k8s-and-agent-provider-bundled").path))
        }
        try expectISOImagePushed(repo: repo, result)
    }

    @Test func dockerBuildsTheSameWithADaemonOfItsOwn() throws {
        let daemon = try DockerDaemon()
        defer { daemon.stop() }
        try writeArg(osVersion: "22.04", repo: "docker-249")
        try expectBakedImagesPushed(repo: "docker-249", try buildImages("docker", environment: daemon.environment))

        // Debian's docker CLI without DOCKER_BUILDKIT builds with its legacy builder, which ignores
        // the probe's --output: said as such, never read as "no systemd".
        var legacy = daemon.environment
        legacy["DOCKER_BUILDKIT"] = ""
        let result = try buildImages("docker", ["--no-iso-image"], environment: legacy)
        #expect(result.status == 1)
        #expect(result.stderr.contains("this docker built with its legacy builder, which has no --output for the systemd probe"), "\(result.stderr)")
        #expect(result.stderr.contains("set DOCKER_BUILDKIT=1"))
        #expect(!result.stderr.contains("systemd 0"))
    }

    @Test func podmanLeavesKubernetesOutOfImagesOfABaseWithSystemd255() throws {
        try writeArg(osVersion: "24.04", repo: "podman-255")
        let result = try buildImages("podman", ["--no-iso-image"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("systemd 255: Kubernetes and the agent provider left out of the images"))
        let recorded = try recordedDigests()
        let sha = try argSHA()
        for version in CanvOSStandIns.k8sVersions {
            let ref = reference("podman-255", version)
            let (digest, labels) = try inspect(ref)
            #expect(recorded[ref] == digest)
            let root = try unpack(ref)
            defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
            try expectCommonStages(root, version, labels, argSHA: sha)
            #expect(contents(root, "system/providers/agent-provider-k3s") == nil)
            #expect(contents(root, "usr/bin/k3s") == nil)
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("etc/spectro-sysext").path))
        }
    }

    @Test func aFailingVersionIsNamedWithItsLogTailWhileTheOthersArePushed() throws {
        try writeArg(osVersion: "22.04", repo: "one-fails")
        let versions = [CanvOSStandIns.k8sVersions[0], CanvOSStandIns.brokenK8sVersion, CanvOSStandIns.k8sVersions[1]]
        try write("k8s_version.json", #"{"k3s": ["\#(versions.joined(separator: #"", ""#))"]}"#)
        let containers = try workingContainers()
        let result = try buildImages("buildah", ["--no-iso-image"])
        #expect(try workingContainers().subtracting(containers).isEmpty)
        #expect(result.status == 1)
        let failed = reference("one-fails", CanvOSStandIns.brokenK8sVersion)
        #expect(result.stderr.contains("edgeflash: FAILED \(failed): buildah bud exited with 1\n"))
        let name = String(failed.map { $0 == "/" || $0 == ":" ? "_" : $0 })
        #expect(result.stderr.contains("  last lines of \(checkout.path)/build/images/logs/\(name).log:\n"))
        #expect(result.stderr.contains("  | Error: building at STEP \"RUN rm -f /etc/ssh/ssh_host_* /etc/ssh/moduli\""))
        #expect(result.stderr.contains("edgeflash: 1 of 3 image(s) failed: \(failed)"))
        #expect(result.stdout.contains("FAILED  \(failed)\n"))
        let recorded = try recordedDigests()
        #expect(recorded[failed] == nil)
        for version in [versions[0], versions[2]] {
            let ref = reference("one-fails", version)
            #expect(recorded[ref] == (try inspect(ref)).digest)
        }
    }

    @Test func ctrlCStopsTheEnginesAndExitsInterrupted() throws {
        try writeArg(osVersion: "22.04", repo: "interrupted")
        let token = "sleep \(Int.random(in: 100_000...999_999))"
        try write("Dockerfile", "ARG BASE\nFROM $BASE\nRUN \(token)\n")
        let containers = try workingContainers()
        let stderr = checkout.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = EdgeFlashBinary.url
        process.arguments = ["build", "images", "--builder", "buildah", "--arg", checkout.appendingPathComponent(".arg").path,
                             "--context", checkout.path, "--output", checkout.appendingPathComponent("build").path]
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Waits for the base build (whose RUN sleeps) to start: the engine and its RUN are running.
        func said() -> String { (try? String(contentsOf: stderr, encoding: .utf8)) ?? "" }
        for _ in 0..<600 where process.isRunning && !said().contains("building localhost/") {
            usleep(100_000)
        }
        try #require(process.isRunning)
        usleep(500_000)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == ExitStatus.interrupted.rawValue)
        #expect(said().contains("edgeflash: interrupted"))
        let left = try Shell.bash("ps -eo args | grep -F '\(token)' | grep -v grep || true")
        #expect(left.isEmpty, "still running: \(left)")
        #expect(try workingContainers().subtracting(containers).isEmpty)
    }
}
