import Foundation
import Testing
import TestSupport

/// The proof that `build iso --from-image` makes a bootable installer from an image: the live image
/// fixture (`LiveRoot`: a Debian kernel and a busybox initramfs in a Kairos-shaped root) is built
/// into an ISO with a user-data and a CanvOS-shaped `overlay/files-iso/boot/grub2/grub.cfg`, then
/// booted under QEMU as a CD and, written with `edgeflash write --user-data`, as a USB stick, with
/// SeaBIOS and OVMF. The guest finds the COS_LIVE volume, checks its kernel command line,
/// loop-mounts /rootfs.squashfs and prints the image's marker, the ISO's config.yaml and the site's
/// user-data. The same image pushed to a registry and to an OCI layout gives the same root.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct LiveISOBootTests {
    static let isoUserData = """
        #cloud-config
        # built into the ISO by edgeflash build iso --from-image
        stylus:
          site:
            paletteEndpoint: api.spectrocloud.example
            name: edge-live-proof
            registrationURL: https://edge-registration.example/
        install:
          poweroff: true

        """

    static let siteUserData = """
        #cloud-config
        stylus:
          site:
            edgeHostToken: live-proof-token-41d2
            projectName: edge
            name: live-site-7
            tags:
              proof: "live ISO, by boot"

        """

    /// CanvOS's overlay/files-iso/boot/grub2/grub.cfg, cut to what a test boot needs: the
    /// `{{DEFAULT_ENTRY}}` placeholder (0 unless FORCE_INTERACTIVE_INSTALL=true), the live command
    /// line, the serial console last (it becomes /dev/console, where the guest reports) and no menu
    /// timeout. `edgeflash.entry=` tells which entry booted.
    static let grubConfig = """
        search --no-floppy --file --set=root /boot/kernel
        set default={{DEFAULT_ENTRY}}
        set timeout=0

        menuentry "Palette eXtended Kubernetes Edge Install" --class os --unrestricted {
            echo Loading kernel...
            linux ($root)/boot/kernel cdroot root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs console=tty1 console=ttyS0,115200 rd.cos.disable net.ifnames=1 panic=1 edgeflash.entry=install
            echo Loading initrd...
            initrd ($root)/boot/initrd
        }

        menuentry "Palette eXtended Kubernetes Edge Install (manual)" --class os --unrestricted {
            echo Loading kernel...
            linux ($root)/boot/kernel cdroot root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs console=tty1 console=ttyS0,115200 rd.cos.disable net.ifnames=1 panic=1 edgeflash.entry=manual
            echo Loading initrd...
            initrd ($root)/boot/initrd
        }

        menuentry "Palette eXtended Kubernetes Edge Install (interactive)" --class os --unrestricted {
            echo Loading kernel...
            linux ($root)/boot/kernel cdroot root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs console=tty1 console=ttyS0,115200 rd.cos.disable net.ifnames=1 panic=1 install-mode-interactive edgeflash.entry=interactive
            echo Loading initrd...
            initrd ($root)/boot/initrd
        }

        """

    /// One checkout for every build here (removed at exit), and the ISO built from the live root
    /// as `dir:`, shared by the boots.
    static let checkout: Result<LiveCheckout, any Error> = Result { try LiveCheckout() }
    static let directoryISO: Result<URL, any Error> = Result {
        try Self.checkout.get().buildISO(from: "dir:\(try LiveRoot.directory().path)", output: "dir")
    }

    @Test(arguments: FirmwareMode.allCases)
    func isoFromADirectoryBootsAsACD(_ mode: FirmwareMode) throws {
        try skipUnlessBootable(mode)
        let iso = try Self.directoryISO.get()
        let report = try QEMUBoot.boot(iso.path, mode: mode, medium: .cdrom)
        print("live ISO from dir:, CD, \(mode): \(Int(report.duration)) s: \(proof(report))")
        try expectLiveBoot(report, siteUserData: nil)
    }

    @Test(arguments: FirmwareMode.allCases)
    func isoFromADirectoryWrittenWithSiteUserDataBootsAsAStick(_ mode: FirmwareMode) throws {
        try skipUnlessBootable(mode)
        let checkout = try Self.checkout.get()
        let iso = try Self.directoryISO.get()
        let loop = try LoopDevice(size: 256 << 20)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", iso.path, loop.path, "--yes",
                                             "--user-data", checkout.siteUserData.path])
        try #require(write.succeeded, "edgeflash write --user-data failed: \(write.stderr)")

        let report = try QEMUBoot.boot(loop.path, mode: mode, medium: .usbStick)
        print("live ISO from dir:, written with --user-data, USB stick, \(mode): \(Int(report.duration)) s: \(proof(report))")
        try expectLiveBoot(report, siteUserData: Self.siteUserData)
    }

    /// The live root committed into an OCI image with buildah, pushed to the test registry and to an
    /// OCI layout: both ISOs are the `dir:` one byte for byte (same SOURCE_DATE_EPOCH), and the
    /// registry's boots (one boot only: the `dir:` ISO's boots cover the firmware and media).
    @Test func isoFromTheRegistryAndFromAnOCILayoutCarriesTheSameRootAndBoots() throws {
        let checkout = try Self.checkout.get()
        let directoryISO = try Self.directoryISO.get()
        let registry = try LocalRegistry.shared.get()
        let reference = "\(registry.address)/edgeflash/live-root:\(UUID().uuidString.prefix(8).lowercased())"
        let layout = checkout.directory.appendingPathComponent("oci-layout")
        try Shell.bash("""
            ctr=$(buildah from scratch)
            trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
            buildah copy --quiet "$ctr" '\(try LiveRoot.directory().path)/' /
            buildah commit --quiet "$ctr" '\(reference)' >/dev/null
            buildah push --quiet --tls-verify=false '\(reference)'
            buildah push --quiet '\(reference)' 'oci:\(layout.path):live'
            buildah rmi '\(reference)' >/dev/null
            """)

        let registryISO = try checkout.buildISO(from: reference, output: "registry")
        let layoutISO = try checkout.buildISO(from: "oci:\(layout.path):live", output: "oci")
        // The fixture's files are all root's, as the image's are: same root, same epoch, same bytes.
        // The squashfs listings come first, so a difference shows where it is.
        let expected = try squashfsContents(directoryISO)
        for (name, iso) in [("the registry", registryISO), ("oci:", layoutISO)] {
            #expect(try squashfsContents(iso) == expected, "rootfs.squashfs from \(name)")
            #expect(FileManager.default.contentsEqual(atPath: iso.path, andPath: directoryISO.path),
                    "the ISO from \(name) differs from the dir: one")
        }

        try skipUnlessBootable(.bios)
        let report = try QEMUBoot.boot(registryISO.path, mode: .bios, medium: .cdrom)
        print("live ISO from the registry, CD, bios: \(Int(report.duration)) s: \(proof(report))")
        try expectLiveBoot(report, siteUserData: nil)
    }

    // MARK: - Helpers

    /// What every boot of an ISO built here must show: the guest ran to the end, was booted by the
    /// overlay's first entry (`{{DEFAULT_ENTRY}}` = 0) with the live command line, read the image's
    /// marker from /rootfs.squashfs and the ISO's exact config.yaml, and the site's user-data if any.
    func expectLiveBoot(_ report: BootReport, siteUserData: String?) throws {
        #expect(report.finished, "\(report.summary)")
        #expect(report.cmdlineOK, "\(report.summary)")
        #expect(report.cmdline?.contains("edgeflash.entry=install") == true, "\(report.summary)")
        #expect(report.marker == (try LiveRoot.marker()), "\(report.summary)")
        #expect(report.config == Data(Self.isoUserData.utf8), "\(report.summary)")
        #expect(report.configSHA256 == (try sha256(Self.isoUserData)))
        if let siteUserData {
            #expect(report.userData == [Data(siteUserData.utf8)], "\(report.summary)")
            #expect(report.userDataSHA256 == [try sha256(siteUserData)])
        } else {
            #expect(report.sawNoUserData, "\(report.summary)")
        }
    }

    /// The guest's lines a passing boot rests on, in one line for the test log.
    func proof(_ report: BootReport) -> String {
        let wanted = ["EDGEFLASH-LIVE-DEVICE", "EDGEFLASH-CMDLINE-OK", "EDGEFLASH-MARKER", "EDGEFLASH-CONFIG-SHA256",
                      "EDGEFLASH-USERDATA-SHA256", "EDGEFLASH-USERDATA-NONE"]
        return report.serialText.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .filter { line in wanted.contains { line.hasPrefix($0) } }
            .joined(separator: "; ")
    }

    /// Every entry of the ISO's /rootfs.squashfs below its root (mode, owner, size, time, name,
    /// link target) and the SHA-256 of every file. The root directory itself is left out: an
    /// unpacked image's root is a directory the unpacker made, with its own time.
    func squashfsContents(_ iso: URL) throws -> String {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-squashfs")
        defer { try? FileManager.default.removeItem(at: dir) }
        return try Shell.bash("""
            cd '\(dir.path)'
            xorriso -osirrox on -indev '\(iso.path)' -extract /rootfs.squashfs rootfs.squashfs 2>/dev/null
            unsquashfs -lln rootfs.squashfs | tail -n +2
            unsquashfs -q -n -d root rootfs.squashfs >/dev/null
            cd root && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
            """)
    }

    func sha256(_ text: String) throws -> String {
        String(try Shell.run("sha256sum", [], stdin: Data(text.utf8)).stdout.prefix(64))
    }

    func skipUnlessBootable(_ mode: FirmwareMode) throws {
        if let reason = QEMUBoot.missing(mode) {
            print("skipping the \(mode) boot: \(reason)")
            try Test.cancel(Comment(rawValue: reason))
        }
    }
}

/// A CanvOS-shaped checkout for `build iso --from-image`: `.arg`, the ISO's user-data beside it,
/// `overlay/files-iso/boot/grub2/grub.cfg`, and a site user-data for `write`.
struct LiveCheckout: Sendable {
    static let sourceDateEpoch = "1700000000"
    let directory: URL
    var arg: URL { directory.appendingPathComponent(".arg") }
    var isoUserData: URL { directory.appendingPathComponent("user-data") }
    var siteUserData: URL { directory.appendingPathComponent("site.yaml") }

    init() throws {
        directory = try TemporaryDirectory.makeShared(prefix: "edgeflash-live-iso")
        let grub = directory.appendingPathComponent("overlay/files-iso/boot/grub2/grub.cfg")
        try FileManager.default.createDirectory(at: grub.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(LiveISOBootTests.grubConfig.utf8).write(to: grub)
        try Data("ISO_NAME=live-proof\n".utf8).write(to: arg)
        try Data(LiveISOBootTests.isoUserData.utf8).write(to: isoUserData)
        try Data(LiveISOBootTests.siteUserData.utf8).write(to: siteUserData)
    }

    /// `edgeflash build iso --from-image SOURCE` into `<checkout>/build-OUTPUT`, with a fixed
    /// SOURCE_DATE_EPOCH; returns the ISO.
    func buildISO(from source: String, output: String) throws -> URL {
        let out = directory.appendingPathComponent("build-\(output)")
        let build = try EdgeFlashBinary.run(["build", "iso", "--from-image", source, "--arg", arg.path,
                                             "--user-data", isoUserData.path, "--output", out.path],
                                            environment: ["SOURCE_DATE_EPOCH": Self.sourceDateEpoch])
        try #require(build.succeeded, "build iso --from-image \(source) failed (\(build.status)): \(build.stderr)")
        let iso = out.appendingPathComponent("live-proof.iso")
        try #require(FileManager.default.fileExists(atPath: iso.path), "\(build.stdout)")
        return iso
    }
}
