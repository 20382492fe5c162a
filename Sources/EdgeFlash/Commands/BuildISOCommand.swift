import ArgumentParser
import BuildStage
import EdgeCore
import Foundation

struct BuildISOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iso",
        abstract: "Build the installer ISO from an image, or stage one from a base installer ISO.",
        discussion: """
            --from-image SOURCE builds the ISO itself, in AuroraBoot's layout, without Docker: \
            SOURCE is a registry reference (host/repo:tag, pulled; loopback registries over plain \
            HTTP), oci:DIR[:TAG], oci-archive:FILE or docker-archive:FILE, unpacked with skopeo \
            and umoci into a scratch directory beside the output (removed afterwards), or \
            dir:PATH, a root filesystem used as it is. The ISO gets volume \
            id COS_LIVE, /boot/kernel and /boot/initrd from the image's /boot, /rootfs.squashfs \
            (mksquashfs of the whole root), /boot/grub2/grub.cfg and the rest of \
            overlay/files-iso (--overlay-iso; default: overlay/files-iso beside .arg) with \
            {{DEFAULT_ENTRY}} set from FORCE_INTERACTIVE_INSTALL, else a built-in menu, and GRUB \
            for BIOS (El Torito, hybrid MBR) and UEFI (EFI partition 2 in a GPT); arm64: UEFI only. \
            GRUB comes from --grub-dir, else the image's /usr/lib/grub, else this machine's.

            --base-iso BASE stages into a copy of an installer ISO something else built; its boot \
            setup is replayed by xorriso and checked unchanged afterwards.

            Both add, as the Edge build does:
              user-data             -> /files-iso/config.yaml
              content-*/*.zst       -> /opt/spectrocloud/content/<file>.zst_partNN
                                       (3 GB parts)
              EDGE_CUSTOM_CONFIG    -> /.edge_custom_config.yaml
              CLUSTERCONFIG         -> /opt/spectrocloud/clusterconfig/spc.tgz

            Writes OUTPUT/<ISO_NAME>.iso and OUTPUT/<ISO_NAME>.iso.sha256 (sha256sum -c format) \
            through temporary files: a failed build leaves nothing under the final names. With \
            SOURCE_DATE_EPOCH set, the same inputs give a byte-identical ISO.

            Examples:
              edgeflash build iso --from-image dir:/srv/iso-root --arg .arg
              edgeflash build iso --from-image 127.0.0.1:5000/edge/iso-image:v4.4.12
              SOURCE_DATE_EPOCH=1700000000 edgeflash build iso --from-image dir:rootfs \\
                  --overlay-iso overlay/files-iso --output build
              edgeflash build iso --from-image dir:rootfs-arm64 --arch arm64 \\
                  --grub-dir grub-arm64/usr/lib/grub
              edgeflash build iso --base-iso base.iso --user-data user-data

            Needs xorriso; --from-image also mksquashfs, grub-mkimage, mkfs.fat and mtools (and \
            skopeo and umoci, run as root, for every SOURCE but dir:). Exit \
            status: 0 written, 1 a tool failed or is missing, 3 refused (unpacking needs root), 5 \
            I/O error (disk full, unreachable registry), 6 invalid input (no kernel in the image, \
            an image for another architecture...), 64 usage, 130 interrupted (nothing written, \
            temporary files removed).
            """
    )

    @OptionGroup var inputs: BuildInputOptions

    @Option(name: .customLong("from-image"), help: "The image to build the ISO from: REGISTRY/REPO:TAG, oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE or dir:PATH.")
    var fromImage: String?

    @Option(name: .customLong("base-iso"), help: "A base installer ISO to stage into instead.")
    var baseISO: String?

    @Option(help: "amd64 or arm64 (--from-image; default: ARCH from .arg, else amd64).")
    var arch: String?

    @Option(name: .customLong("overlay-iso"), help: "Files for the ISO's root, grub.cfg included (--from-image; default: overlay/files-iso beside .arg, if any).")
    var overlayISO: String?

    @Option(name: .customLong("grub-dir"), help: "A directory holding GRUB's i386-pc/, x86_64-efi/ or arm64-efi/ (--from-image; default: the image's /usr/lib/grub, else this machine's).")
    var grubDir: String?

    @Option(name: .customLong("content"), help: "A content-* directory, or one holding them (repeatable; default: content-* beside .arg).")
    var contentDirectories: [String] = []

    @Option(help: "Where <ISO_NAME>.iso and its .sha256 are written.")
    var output: String = "build"

    @Option(name: .customLong("content-part-size"), help: .hidden)
    var contentPartSize: Int64 = ISOStagingPlan.defaultPartSize

    @Flag(help: "Print one JSON object (stable schema) instead of text.")
    var json = false

    func validate() throws {
        switch (fromImage, baseISO) {
        case (nil, nil): throw ValidationError("Give --from-image SOURCE (build the ISO from an image) or --base-iso BASE (stage into an ISO).")
        case (.some, .some): throw ValidationError("--from-image and --base-iso exclude each other: give one.")
        case (nil, .some):
            if arch != nil || overlayISO != nil || grubDir != nil {
                throw ValidationError("--arch, --overlay-iso and --grub-dir go with --from-image; --base-iso keeps the base's own boot setup.")
            }
        default: break
        }
        guard contentPartSize > 0 else { throw ValidationError("--content-part-size must be positive") }
    }

    func run() async throws {
        var planInputs = inputs.planInputs
        planInputs.forImages = false
        let plan = BuildPlan.make(planInputs)
        BuildIssuePrinter.print(plan.issues)
        if plan.issues.hasErrors { throw EdgeError.invalidInputs(plan.issues) }

        let arguments = plan.arguments
        let directories = contentDirectories.isEmpty ? ContentBundles.besideArg(plan.validator.baseDirectory) : contentDirectories
        let staging = ISOStagingPlan(
            userData: plan.userDataPath,
            contentBundles: try ContentBundles.find(in: directories),
            edgeCustomConfig: plan.buildContextFiles["EDGE_CUSTOM_CONFIG"],
            clusterConfig: plan.buildContextFiles["CLUSTERCONFIG"],
            partSize: contentPartSize)
        if plan.userDataPath == nil {
            Terminal.writeStderr("edgeflash: warning: no user-data given or found beside .arg; the ISO gets no /files-iso/config.yaml\n")
        }
        let epoch = try sourceDateEpoch()
        let progress: @Sendable (String) -> Void = { Terminal.writeStderr("edgeflash: \($0)\n") }
        if let fromImage {
            let source = try ImageSourceReference(parsing: fromImage)
            let overlay = overlayISO ?? Self.overlayBesideArg(plan.validator.baseDirectory)
            let architecture = try LiveISOArchitecture(parsing: arch ?? (arguments.arch.isEmpty ? "amd64" : arguments.arch))
            let builder = LiveISOBuilder(tools: try LiveISOTools.locate(), progress: progress)
            let result = try builder.build(from: source, .init(root: "", outputDirectory: output, isoName: arguments.isoName,
                                                 architecture: architecture, plan: staging, overlay: overlay,
                                                 forceInteractiveInstall: arguments["FORCE_INTERACTIVE_INSTALL"] == "true",
                                                 grubDirectory: grubDir, sourceDateEpoch: epoch))
            if json { return JSONLines.emit(result) }
            print("From \(result.image ?? fromImage)" + (result.imageDigest.map { " (\($0))" } ?? ""))
            print("  /boot/kernel  <- \(result.boot.kernelInImage)")
            print("  /boot/initrd  <- \(result.boot.initrdInImage)")
            print("  /rootfs.squashfs  (\(result.squashfsBytes) bytes)")
            print("  /boot/grub2/grub.cfg  <- \(result.menu)")
            printFiles(result.files)
            print("GRUB: " + result.grub.map(\.summary).joined(separator: ", "))
            print("Wrote \(result.iso) (\(result.size) bytes, volume id \(result.volumeID), \(result.architecture.rawValue))")
            print("Wrote \(result.checksumFile): \(result.sha256)")
        } else if let baseISO {
            let stager = try ISOStager.locate(progress: progress)
            let result = try stager.stage(.init(baseISO: baseISO, outputDirectory: output, isoName: arguments.isoName,
                                                plan: staging, sourceDateEpoch: epoch))
            if json { return JSONLines.emit(result) }
            printFiles(result.files)
            print("Wrote \(result.iso) (\(result.size) bytes, volume id \(result.volumeID))")
            print("Wrote \(result.checksumFile): \(result.sha256)")
            if result.droppedHFSPlus { print("Note: the base ISO's HFS+/APM Mac hybrid was not kept (xorriso cannot re-lay it).") }
        }
    }

    private func printFiles(_ files: [ISOStagingPlan.Mapping]) {
        for mapping in files {
            print("  \(mapping.isoPath)  <- \(mapping.source)" + (mapping.range.map { " [\($0.offset)+\($0.count)]" } ?? ""))
        }
    }

    /// The checkout's overlay/files-iso, as CanvOS passes it to AuroraBoot, when it is there.
    static func overlayBesideArg(_ baseDirectory: String) -> String? {
        let path = URL(fileURLWithPath: baseDirectory).appendingPathComponent("overlay/files-iso").path
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue ? path : nil
    }

    private func sourceDateEpoch() throws -> Int64? {
        guard let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], !text.isEmpty else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw EdgeError(.malformed, "SOURCE_DATE_EPOCH is not a number of seconds since 1970")
        }
        return value
    }
}
