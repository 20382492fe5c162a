import EdgeCore
import Foundation

/// Builds the installer ISO from an image's root filesystem in AuroraBoot's layout: `/boot/kernel`
/// and `/boot/initrd` from the image's `/boot`, `/rootfs.squashfs` of the whole root, the menu at
/// `/boot/grub2/grub.cfg` and the rest of the checkout's `overlay/files-iso/`, what `build iso
/// --base-iso` stages (user-data, content parts, configs), GRUB for BIOS and UEFI. The squashfs
/// and GRUB's images are made in a scratch directory beside the output (same filesystem, removed on
/// every way out); the ISO and its checksum appear under their final names only when whole.
public struct LiveISOBuilder: Sendable {
    public struct Request: Sendable {
        public var root: String
        public var outputDirectory: String
        public var isoName: String
        public var architecture: LiveISOArchitecture
        public var plan: ISOStagingPlan
        /// The checkout's `overlay/files-iso/`, nil for the built-in menu and no extra files.
        public var overlay: String?
        public var forceInteractiveInstall: Bool
        /// A directory holding GRUB's platform directories (like /usr/lib/grub); nil: the image's, else this machine's.
        public var grubDirectory: String?
        public var sourceDateEpoch: Int64?

        public init(root: String, outputDirectory: String, isoName: String, architecture: LiveISOArchitecture,
                    plan: ISOStagingPlan, overlay: String?, forceInteractiveInstall: Bool, grubDirectory: String?,
                    sourceDateEpoch: Int64?) {
            self.root = root
            self.outputDirectory = outputDirectory
            self.isoName = isoName
            self.architecture = architecture
            self.plan = plan
            self.overlay = overlay
            self.forceInteractiveInstall = forceInteractiveInstall
            self.grubDirectory = grubDirectory
            self.sourceDateEpoch = sourceDateEpoch
        }
    }

    public struct Result: Sendable, Codable {
        /// The source as given (`dir:PATH`, `oci:DIR:TAG`...) and, for an unpacked image, the
        /// digest of the manifest it names.
        public var image: String?
        public var imageDigest: String?
        public var iso: String
        public var checksumFile: String
        public var sha256: String
        public var size: Int64
        public var volumeID: String
        public var architecture: LiveISOArchitecture
        public var boot: BootReport
        public var grub: [GrubModules]
        /// The overlay's grub.cfg, or "built-in".
        public var menu: String
        public var squashfsBytes: Int64
        public var files: [ISOStagingPlan.Mapping]
    }

    public var tools: LiveISOTools
    public var progress: @Sendable (String) -> Void

    public init(tools: LiveISOTools, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.tools = tools
        self.progress = progress
    }

    public func build(_ request: Request) throws -> Result {
        let root = try Self.checkRoot(request.root)
        let boot = try BootFiles.find(in: root.path)
        try KernelArchitecture.check(boot, for: request.architecture)
        try request.plan.checkSources()
        let plan = request.plan.followingSymlinks()
        let overlay = try request.overlay.map(Self.checkOverlay)
        let grub = try GrubModules.locate(request.architecture, imageRoot: root.path, grubDirectory: request.grubDirectory)
        let (menu, menuOrigin) = try Self.menu(overlay: overlay, forceInteractiveInstall: request.forceInteractiveInstall)

        let directory = URL(fileURLWithPath: request.outputDirectory).standardizedFileURL
        try OutputDirectory.create(directory)
        let realDirectory = BuildContextFile.realPath(directory.path) ?? directory.path
        guard !(realDirectory + "/").hasPrefix(root.path + "/") else {
            throw EdgeError(.usage, "the output directory \(directory.path) is inside the image root \(root.path): the ISO would squash itself",
                            hint: "choose an --output outside the image root")
        }
        let bootBytes = ISOOutputFiles.size(of: boot.kernel) + ISOOutputFiles.size(of: boot.initrd)
        try ISOOutputFiles.checkSpace(bootBytes + plan.byteCount + (16 << 20), in: directory, for: "the ISO")

        let output = ISOOutputFiles(directory: directory, isoName: request.isoName)
        let scratch = try output.makeScratch("build")
        let interrupt = StagingInterrupt()
        defer {
            output.removeTemporaries()
            try? FileManager.default.removeItem(at: scratch)
        }

        progress("kernel \(boot.kernelInImage), initrd \(boot.initrdInImage); GRUB " + grub.map(\.summary).joined(separator: ", "))
        let images = try GrubBootImages.make(grub, imageRoot: root, architecture: request.architecture, grubMkimage: tools.grubMkimage,
                                             in: scratch, interrupt: interrupt)
        let efiImage = scratch.appendingPathComponent("uefi.img")
        try EFISystemPartition.make(loader: images.efiLoader, name: request.architecture.efiLoaderName, image: efiImage,
                                    tools: tools, sourceDateEpoch: request.sourceDateEpoch, interrupt: interrupt)
        // xorriso gives /boot/grub2 the mode of the menu file's directory: not the private scratch's.
        let menuDirectory = scratch.appendingPathComponent("menu")
        let menuFile = menuDirectory.appendingPathComponent("grub.cfg")
        do {
            try FileManager.default.createDirectory(at: menuDirectory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
            try Data(menu.utf8).write(to: menuFile)
        } catch {
            throw EdgeError(.io, "could not write the GRUB menu in \(scratch.path): \(error.localizedDescription)")
        }

        let squashfs = scratch.appendingPathComponent("rootfs.squashfs")
        let processors = ProcessInfo.processInfo.activeProcessorCount
        progress("squashing \(root.path) into rootfs.squashfs (mksquashfs, \(processors) processor(s))")
        let squash = try interrupt.run {
            try ChildProcess.run(tools.mksquashfs, SquashfsArguments.make(root: root.path, output: squashfs.path, processors: processors,
                                                                          sourceDateEpoch: request.sourceDateEpoch),
                                 environment: ["SOURCE_DATE_EPOCH": nil], started: $0)
        }
        guard squash.succeeded else {
            throw ISOToolFailure.error(squash, tool: "mksquashfs", doing: "squashing the image root", directory: directory.path)
        }
        let squashfsBytes = ISOOutputFiles.size(of: squashfs.path)
        progress("rootfs.squashfs: \(squashfsBytes >> 20) MiB")

        let treeBytes = squashfsBytes + bootBytes + plan.byteCount + ISOOutputFiles.size(of: efiImage.path) * 2 + (1 << 20)
        try ISOOutputFiles.checkSpace(treeBytes, in: directory, for: "the ISO")
        let files = [ISOStagingPlan.Mapping(source: squashfs.path, isoPath: "/rootfs.squashfs"),
                     ISOStagingPlan.Mapping(source: boot.kernel, isoPath: "/boot/kernel"),
                     ISOStagingPlan.Mapping(source: boot.initrd, isoPath: "/boot/initrd"),
                     ISOStagingPlan.Mapping(source: menuFile.path, isoPath: LiveGrubConfig.menuPath)] + plan.mappings
        let bios = images.bios.map { (eltorito: $0.eltorito.path, hybridMBR: $0.hybridMBR.path) }
        let arguments = LiveXorrisoArguments.make(output: output.temporaryISO.path, overlay: overlay, files: files, bios: bios,
                                                  efiImage: efiImage.path, sourceDateEpoch: request.sourceDateEpoch)
        progress("writing \(output.iso.lastPathComponent) (xorriso, \(treeBytes >> 20) MiB)")
        try AtomicFile.createPrivate(output.temporaryISO)
        let written = try interrupt.run {
            try ChildProcess.run(tools.xorriso, arguments, environment: ["SOURCE_DATE_EPOCH": request.sourceDateEpoch.map(String.init)],
                                 started: $0)
        }
        guard written.succeeded else { throw ISOToolFailure.error(written, doing: "writing the ISO", directory: directory.path) }

        let (hex, size) = try output.publish(interrupt: interrupt, progress: progress)
        return Result(image: nil, imageDigest: nil, iso: output.iso.path, checksumFile: output.checksumFile.path, sha256: hex, size: size,
                      volumeID: LiveXorrisoArguments.volumeID, architecture: request.architecture, boot: BootReport(boot), grub: grub,
                      menu: menuOrigin, squashfsBytes: squashfsBytes, files: request.plan.mappings)
    }

    static func checkRoot(_ path: String) throws -> ImageRoot {
        guard FileState.of(path) == .directory else {
            let problem = FileState.of(path).problem ?? "is a file, not a directory"
            throw EdgeError(.malformed, "the image root \(path) \(problem)",
                            hint: "dir:PATH names a root filesystem directory (one holding /boot, /usr...)")
        }
        return ImageRoot(path: BuildContextFile.realPath(path) ?? path)
    }

    static func checkOverlay(_ path: String) throws -> String {
        guard FileState.of(path) == .directory else {
            throw EdgeError(.malformed, "the ISO overlay \(path) \(FileState.of(path).problem ?? "is a file, not a directory")",
                            hint: "--overlay-iso names a directory such as the checkout's overlay/files-iso")
        }
        return BuildContextFile.realPath(path) ?? path
    }

    /// The overlay's boot/grub2/grub.cfg with its default entry set, else the built-in menu.
    static func menu(overlay: String?, forceInteractiveInstall: Bool) throws -> (text: String, origin: String) {
        if let overlay {
            let path = overlay + LiveGrubConfig.menuPath
            if FileManager.default.fileExists(atPath: path) {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw EdgeError(.malformed, "cannot read \(path) as text")
                }
                return (LiveGrubConfig.fromOverlay(text, forceInteractiveInstall: forceInteractiveInstall), path)
            }
        }
        return (LiveGrubConfig.builtIn(forceInteractiveInstall: forceInteractiveInstall), "built-in")
    }
}
