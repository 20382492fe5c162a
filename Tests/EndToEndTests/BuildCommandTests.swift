import Foundation
import Testing
import TestSupport

/// `edgeflash build ...` run as a user would, from a directory holding .arg, k8s_version.json and user-data.
@Suite(.serialized)
struct BuildCommandTests {
    let dir: URL
    static let token = "tok-9f8e7d6c5b4a-secret"

    init() throws {
        dir = try TemporaryDirectory.make(prefix: "edgeflash-build-e2e")
        try write(".arg", """
            CUSTOM_TAG=palette-learn
            IMAGE_REGISTRY=spectrocloud
            OS_DISTRIBUTION=ubuntu
            IMAGE_REPO=$OS_DISTRIBUTION
            OS_VERSION=22.04
            K8S_DISTRIBUTION=k3s
            ISO_NAME=palette-edge-installer
            ARCH=amd64
            HTTPS_PROXY=
            HTTP_PROXY=
            PROXY_CERT_PATH=
            UPDATE_KERNEL=false
            """)
        try write("k8s_version.json", #"{"k3s": ["1.26.4", "1.27.2"], "rke2": ["1.27.2"]}"#)
        try write("user-data", "#cloud-config\nstylus:\n  site:\n    edgeHostToken: \(Self.token)\ninstall:\n  poweroff: true\n")
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: dir.appendingPathComponent(name))
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ShellResult {
        try EdgeFlashBinary.run(["build"] + arguments.map { $0.replacingOccurrences(of: "@", with: dir.path + "/") },
                                environment: environment)
    }

    @Test func planListsOneImagePerVersionAndWritesTheManifest() throws {
        let result = try run(["plan", "--arg", "@.arg", "--pe-version", "v4.4.12", "--output", "@build"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("  spectrocloud/ubuntu:k3s-1.26.4-v4.4.12-palette-learn\n"))
        #expect(result.stdout.contains("  spectrocloud/ubuntu:k3s-1.27.2-v4.4.12-palette-learn\n"))
        #expect(result.stdout.contains("ISO image (the installer ISO's root, built next to them): spectrocloud/ubuntu:iso-image-v4.4.12-palette-learn\n"))
        let manifest = try String(contentsOf: dir.appendingPathComponent("build/pack-manifest.yaml"), encoding: .utf8)
        #expect(manifest.contains("  system.peVersion: v4.4.12\n  system.customTag: palette-learn\n  system.osVersion: 22\n"))
        #expect(result.stdout.hasSuffix(manifest))
        #expect(!(result.stdout + result.stderr).contains(Self.token))
    }

    @Test func theGuidesArgTypoIsCaughtWithFileAndLine() throws {
        try write("typo.arg", "CUSTOM_TAG=Palette_Learn\nIMAGE_REGISTRY=https://spectrocloud\nK8s_VERSION=1.27.2\nARCH=x86\n")
        let result = try run(["plan", "--arg", "@typo.arg", "--k8s-versions", "@k8s_version.json", "--output", "@build"])
        #expect(result.status == 6)
        let arg = dir.appendingPathComponent("typo.arg").path
        #expect(result.stderr.contains("\(arg):1: error: CUSTOM_TAG is not lowercase alphanumeric"))
        #expect(result.stderr.contains("\(arg):2: error: IMAGE_REGISTRY has a scheme"))
        #expect(result.stderr.contains("\(arg):3: warning: unknown argument K8s_VERSION is ignored; did you mean K8S_VERSION?"))
        #expect(result.stderr.contains("\(arg):4: error: ARCH is not supported (allowed: amd64, arm64)"))
        #expect(result.stderr.contains("edgeflash: 4 problems in the build inputs"))
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("build/pack-manifest.yaml").path))
    }

    @Test func planJSONHasTheStableKeys() throws {
        let result = try run(["plan", "--arg", "@.arg", "--pe-version", "v4.4.12", "--output", "@build", "--json"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["valid", "argFile", "arguments", "issues", "images", "isoImage", "pulls", "isoName", "manifestPath", "manifest", "userData"])
        let images = try #require(object["images"] as? [[String: String]])
        #expect(images.map { $0["reference"] } == ["spectrocloud/ubuntu:k3s-1.26.4-v4.4.12-palette-learn",
                                                   "spectrocloud/ubuntu:k3s-1.27.2-v4.4.12-palette-learn"])
        #expect(object["isoImage"] as? String == "spectrocloud/ubuntu:iso-image-v4.4.12-palette-learn")
        #expect(!result.stdout.contains(Self.token))
    }

    @Test func malformedVersionsFileAndMissingArgAreInvalidInput() throws {
        try write("bad.json", #"{"k3s": ["1.27.2""#)
        let bad = try run(["plan", "--arg", "@.arg", "--k8s-versions", "@bad.json", "--pe-version", "v4.4.12"])
        #expect(bad.status == 6)
        #expect(bad.stderr.contains("\(dir.path)/bad.json: error: malformed JSON"))
        let missing = try run(["plan", "--arg", "@nothing.arg"])
        #expect(missing.status == 6)
        #expect(missing.stderr.contains("\(dir.path)/nothing.arg: error: build arguments file does not exist"))
        let directory = try run(["plan", "--arg", "@.arg", "--user-data", "@", "--pe-version", "v1.0.0"])
        #expect(directory.status == 6)
        #expect(directory.stderr.contains("user-data file is a directory, not a file"))
    }

    @Test func isoIsWrittenWithAChecksumSha256sumAcceptsAndIsReproducible() throws {
        let env = ["SOURCE_DATE_EPOCH": "1700000000"]
        let first = try run(["iso", "--base-iso", "/usr/lib/ipxe/ipxe.iso", "--arg", "@.arg", "--output", "@one"], environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("/files-iso/config.yaml  <- \(dir.path)/user-data"))
        #expect(!(first.stdout + first.stderr).contains(Self.token))
        let check = try Shell.run("/bin/sh", ["-c", "cd '\(dir.path)/one' && sha256sum -c palette-edge-installer.iso.sha256"])
        #expect(check.stdout == "palette-edge-installer.iso: OK\n")
        let verify = try EdgeFlashBinary.run(["verify", "\(dir.path)/one/palette-edge-installer.iso"])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("SHA256 matches palette-edge-installer.iso.sha256"))
        let second = try run(["iso", "--base-iso", "/usr/lib/ipxe/ipxe.iso", "--arg", "@.arg", "--output", "@two"], environment: env)
        #expect(second.status == 0)
        #expect(try Shell.run("cmp", ["\(dir.path)/one/palette-edge-installer.iso", "\(dir.path)/two/palette-edge-installer.iso"]).succeeded)
    }

    @Test func theShippedExamplesPlanCleanly() throws {
        let examples = BootFixture.repositoryRoot.appendingPathComponent("examples")
        let result = try EdgeFlashBinary.run(["build", "plan", "--arg", examples.appendingPathComponent(".arg").path,
                                              "--output", dir.appendingPathComponent("examples-build").path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty || !result.stderr.contains("error:"), "\(result.stderr)")
        #expect(result.stdout.contains("spectrocloud/ubuntu:k3s-1.27.2-v4.4.12-palette-learn"))
    }

    @Test func isoSplitsContentBundlesThroughTheCLI() throws {
        let content = dir.appendingPathComponent("content-3f1a")
        try FileManager.default.createDirectory(at: content, withIntermediateDirectories: true)
        let bundle = Data((0..<2500).map { UInt8($0 % 256) })
        try bundle.write(to: content.appendingPathComponent("core.zst"))
        try write("edge.yaml", "edge: custom\n")
        try write("iso.arg", "ISO_NAME=site-a\nEDGE_CUSTOM_CONFIG=edge.yaml\n")
        // No --content: the content-* directory beside .arg is picked up, as the Edge build does.
        let result = try run(["iso", "--base-iso", "/usr/lib/ipxe/ipxe.iso", "--arg", "@iso.arg", "--user-data", "@user-data",
                              "--content-part-size", "1000", "--output", "@parts", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.compactMap { $0["isoPath"] as? String } == [
            "/files-iso/config.yaml", "/opt/spectrocloud/content/core.zst_part00", "/opt/spectrocloud/content/core.zst_part01",
            "/opt/spectrocloud/content/core.zst_part02", "/.edge_custom_config.yaml"])
        let iso = "\(dir.path)/parts/site-a.iso"
        #expect(object["iso"] as? String == iso)
        let listing = try Shell.bash("xorriso -indev '\(iso)' -find /opt/spectrocloud/content -type f 2>/dev/null")
        #expect(listing.split(separator: "\n").count == 3)
    }

    @Test func isoFromANonISOFailsAndWritesNothing() throws {
        let result = try run(["iso", "--base-iso", "@user-data", "--arg", "@.arg", "--output", "@out"])
        #expect(result.status == 6)
        #expect(result.stderr.contains("edgeflash: base ISO \(dir.path)/user-data: \(dir.path)/user-data is not a disk image: it looks like cloud-init user-data"), "\(result.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("out").path)) ?? []).isEmpty)
    }

    @Test func imagesDryRunPrintsTheCompositionAndRunsNothing() throws {
        try write("Dockerfile", "ARG BASE\nFROM $BASE\nRUN echo customized\n")
        let result = try run(["images", "--arg", "@.arg", "--pe-version", "v4.4.12", "--builder", "podman", "--push", "--dry-run",
                              "--context", "@", "--output", "@build"], environment: ["PATH": "/nonexistent"])
        #expect(result.status == 0, "\(result.stderr)")
        let base = "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1"
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("podman pull --arch amd64 --os linux \(base)"))
        #expect(lines.contains { $0.hasPrefix("podman build --pull=never --layers --force-rm --platform linux/amd64 --build-arg BASE=\(base) ") })
        #expect(lines.contains("#   RUN echo customized"))
        #expect(lines.contains("#   COPY --from=k8s-payload / /"))
        #expect(lines.contains("podman pull --arch amd64 --os linux us-docker.pkg.dev/palette-images/edge/luet-repo-amd:k3s-k8s-1.27.2-k3s1   # when baked"))
        #expect(lines.contains { $0.hasPrefix("podman push --digestfile ") && $0.hasSuffix(" spectrocloud/ubuntu:k3s-1.27.2-v4.4.12-palette-learn") })
        // The iso-image, once, after the versions: the whole stylus image onto /.
        let isoImage = "spectrocloud/ubuntu:iso-image-v4.4.12-palette-learn"
        #expect(lines.contains("# ---- \(isoImage) Containerfile ----"))
        #expect(lines.contains("#   COPY --from=stylus / /"))
        #expect(lines.contains { $0.hasPrefix("podman push --digestfile ") && $0.hasSuffix(" \(isoImage)") })
        let without = try run(["images", "--arg", "@.arg", "--pe-version", "v4.4.12", "--builder", "podman", "--dry-run", "--no-iso-image",
                               "--context", "@", "--output", "@build"], environment: ["PATH": "/nonexistent"])
        #expect(without.status == 0 && !without.stdout.contains(isoImage))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("build/images").path))
    }

    @Test func imagesNeedTheCheckoutFilesCanvOSsStepsCopy() throws {
        try write("Dockerfile", "ARG BASE\nFROM $BASE\n")
        try write("kubeadm.arg", "K8S_DISTRIBUTION=kubeadm\nK8S_VERSION=1.27.2\nCIS_HARDENING=true\n")
        try write("kubeadm.json", #"{"kubeadm": ["1.27.2"]}"#)
        let result = try run(["images", "--arg", "@kubeadm.arg", "--k8s-versions", "@kubeadm.json", "--pe-version", "v4.4.12", "--dry-run", "--builder", "podman",
                              "--context", "@", "--output", "@build"], environment: ["PATH": "/nonexistent"])
        #expect(result.status == 6)
        #expect(result.stderr.contains("has no scripts/install-kernel-headers.sh, cis-harden/harden.sh, which CanvOS's steps for this .arg copy"))
    }

    @Test func imagesWithoutAnEngineFailUpFrontNamingWhatIsMissing() throws {
        // A PATH with no engine on it.
        try write("Dockerfile", "ARG BASE\nFROM $BASE\n")
        let result = try run(["images", "--arg", "@.arg", "--pe-version", "v4.4.12", "--context", "@"], environment: ["PATH": "/nonexistent"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no container engine found: docker, podman and buildah are not on PATH"))
        let podman = try run(["images", "--arg", "@.arg", "--pe-version", "v4.4.12", "--builder", "buildah", "--context", "@"],
                             environment: ["PATH": "/nonexistent"])
        #expect(podman.status == 1)
        #expect(podman.stderr.contains("buildah is not installed (not on PATH)"))
    }
}
