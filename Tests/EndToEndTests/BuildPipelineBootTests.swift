import Foundation
import Testing
import TestSupport

/// The whole build side in one test: a CanvOS-shaped checkout whose `.arg` names a Kairos base that
/// really boots (`CanvOSStandIns.liveBase`) → `build all --push` (plan, the provider image and the
/// iso-image built with buildah and pushed, the ISO built from the iso-image exported from buildah's
/// storage) → `build iso --from-image` the pushed iso-image gives the same ISO byte for byte →
/// `write --user-data` to a loop stick → booted with SeaBIOS and with OVMF, the guest prints the
/// image's marker, the ISO's config.yaml and the site's user-data.
@Suite(.serialized, .enabled(if: Privileges.isRoot, "needs root for buildah, loop devices and QEMU"))
struct BuildPipelineBootTests {
    static let k8sVersion = CanvOSStandIns.k8sVersions[0]

    @Test func argToPushedImagesToISOToStickBootsWithBothUserData() throws {
        let standIns = try CanvOSStandIns.sharedWithLiveBase.get()
        // The live ISO tests' checkout: grub.cfg in overlay/files-iso, user-data beside .arg, site.yaml.
        let checkout = try LiveCheckout()
        let repo = "pipeline-\(UUID().uuidString.prefix(8).lowercased())"
        try write(checkout, "Dockerfile", """
            ARG BASE
            FROM $BASE

            RUN echo "customized by the pipeline checkout" > /etc/checkout-run

            """)
        try write(checkout, "overlay/files/etc/rsyslog.d/49-stylus.conf", "# overlay stand-in\n")
        try write(checkout, "k8s_version.json", #"{"k3s": ["\#(Self.k8sVersion)"]}"#)
        try write(checkout, ".arg", """
            CUSTOM_TAG=demo
            IMAGE_REGISTRY=\(standIns.registry)
            IMAGE_REPO=\(repo)
            OS_DISTRIBUTION=ubuntu
            OS_VERSION=22.04
            BASE_IMAGE=\(standIns.liveBase)
            K8S_DISTRIBUTION=k3s
            K8S_VERSION=\(Self.k8sVersion)
            ARCH=amd64
            PE_VERSION=\(CanvOSStandIns.peVersion)
            ISO_NAME=live-proof
            \(standIns.argLines)
            """)
        let epoch = ["SOURCE_DATE_EPOCH": LiveCheckout.sourceDateEpoch]

        // 1. build all, pushing.
        let out = checkout.directory.appendingPathComponent("build")
        let all = try EdgeFlashBinary.run(["build", "all", "--builder", "buildah", "--push",
                                           "--context", checkout.directory.path, "--arg", checkout.arg.path,
                                           "--output", out.path], environment: epoch)
        try #require(all.status == 0, "build all failed (\(all.status)): \(all.stderr)")
        #expect(all.stderr.contains("systemd 249: Kubernetes and the agent provider baked into the images"), "\(all.stderr)")
        let iso = out.appendingPathComponent("live-proof.iso")
        let sha256Line = try String(contentsOf: out.appendingPathComponent("live-proof.iso.sha256"), encoding: .utf8)
        #expect(sha256Line == "\(try fileSHA256(iso))  live-proof.iso\n")

        // images.json holds the provider image's and the iso-image's digests, as the registry has them.
        let provider = "\(standIns.registry)/\(repo):k3s-\(Self.k8sVersion)-\(CanvOSStandIns.peVersion)-demo"
        let isoImage = "\(standIns.registry)/\(repo):iso-image-\(CanvOSStandIns.peVersion)-demo"
        let recorded = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: out.appendingPathComponent("images.json"))) as? [String: String])
        #expect(recorded.keys.sorted() == [isoImage, provider].sorted())
        for reference in [provider, isoImage] {
            #expect(recorded[reference] == (try registryDigest(reference)), "\(reference)")
        }

        // 2. The ISO from the pushed iso-image is the one build all made from buildah's storage.
        let out2 = checkout.directory.appendingPathComponent("build-registry")
        let fromRegistry = try EdgeFlashBinary.run(["build", "iso", "--from-image", isoImage, "--arg", checkout.arg.path,
                                                    "--output", out2.path], environment: epoch)
        try #require(fromRegistry.status == 0, "build iso --from-image \(isoImage) failed: \(fromRegistry.stderr)")
        let registryISO = out2.appendingPathComponent("live-proof.iso")
        let live = LiveISOBootTests()
        let squashfs = try live.squashfsContents(iso)
        #expect(try live.squashfsContents(registryISO) == squashfs)
        // The ISO's root is the iso-image (the checkout's RUN, the stylus image, the overlay), not
        // the base nor a provider image.
        for file in ["etc/checkout-run", "opt/spectrocloud/bin/stylus-agent", "etc/rsyslog.d/49-stylus.conf", "etc/edgeflash-live-marker"] {
            #expect(squashfs.contains("  ./\(file)\n"), "/\(file) is not in the ISO's rootfs.squashfs")
        }
        #expect(!squashfs.contains("  ./usr/bin/k3s\n"))
        #expect(FileManager.default.contentsEqual(atPath: registryISO.path, andPath: iso.path),
                "the ISO from the registry's iso-image differs from build all's")

        // 3. Written with the site's user-data, booted as a stick with each firmware.
        let loop = try LoopDevice(size: 256 << 20)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", iso.path, loop.path, "--yes",
                                             "--user-data", checkout.siteUserData.path])
        try #require(write.succeeded, "edgeflash write --user-data failed: \(write.stderr)")
        #expect(try fileSHA256(checkout.siteUserData) != (try fileSHA256(checkout.isoUserData)))
        for mode in FirmwareMode.allCases {
            if let reason = QEMUBoot.missing(mode) {
                print("skipping the \(mode) boot: \(reason)")
                continue
            }
            let report = try QEMUBoot.boot(loop.path, mode: mode, medium: .usbStick)
            print("build all ISO, written with --user-data, USB stick, \(mode): \(Int(report.duration)) s: \(live.proof(report))")
            try live.expectLiveBoot(report, siteUserData: LiveISOBootTests.siteUserData)
            // What the guest read is the files beside .arg and given to write, not only the test's strings.
            #expect(report.configSHA256 == (try fileSHA256(checkout.isoUserData)), "\(report.summary)")
            #expect(report.userDataSHA256 == [try fileSHA256(checkout.siteUserData)], "\(report.summary)")
        }
    }

    private func write(_ checkout: LiveCheckout, _ path: String, _ text: String) throws {
        let url = checkout.directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    private func fileSHA256(_ file: URL) throws -> String {
        String(try Shell.bash("sha256sum '\(file.path)'").prefix(64))
    }

    private func registryDigest(_ reference: String) throws -> String? {
        let text = try Shell.bash("skopeo inspect --tls-verify=false 'docker://\(reference)'")
        return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["Digest"] as? String
    }
}
