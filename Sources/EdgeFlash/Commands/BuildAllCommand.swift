import ArgumentParser
import BuildStage
import EdgeCore
import Foundation

/// `build all`: what `earthly +build-all-images` does, in one command and without Earthly: the
/// plan, the provider images and the iso-image, then the installer ISO built from that iso-image.
/// Each step is the subcommand of its own name, run with the options given here; the first that
/// fails stops the rest.
struct BuildAllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Plan, build the images, then build the installer ISO from the iso-image (CanvOS's build-all-images).",
        discussion: """
            Runs, in order, stopping at the first that fails:
              1. build plan    .arg, k8s_version.json, user-data, Dockerfile
              2. build images  the provider images and the iso-image
                               (pushed with --push)
              3. build iso     --from-image the iso-image, exported from the
                               engine's own storage to
                               OUTPUT/images/iso-image.tar (removed after),
                               so the ISO needs no registry and no --push

            Every option means what it means for the step that takes it; see `edgeflash build \
            images --help` and `edgeflash build iso --help`. For JSON events, run the steps one by \
            one with --json.

            Examples:
              edgeflash build all
              edgeflash build all --builder podman --push --jobs 2 --output build

            Exit status: that of the step that failed (6 invalid input, 1 a build failed, 5 I/O \
            error, 130 interrupted), 0 when the ISO and its .sha256 are written.
            """
    )

    @OptionGroup var inputs: BuildInputOptions

    @OptionGroup var build: ImageBuildOptions

    @Option(help: "Where the pack manifest, image logs, images.json and the ISO go.")
    var output: String = "build"

    @Option(name: .customLong("content"), help: "A content-* directory, or one holding them (repeatable; default: content-* beside .arg).")
    var contentDirectories: [String] = []

    @Option(name: .customLong("overlay-iso"), help: "Files for the ISO's root, grub.cfg included (default: overlay/files-iso beside .arg, if any).")
    var overlayISO: String?

    func validate() throws {
        // The iso-image reaches `build iso` as oci-archive:OUTPUT/images/iso-image.tar, and an
        // archive path cannot hold a ':' there; say so before hours of building, not after.
        if output.contains(":") { throw ValidationError("--output must not contain ':' for build all (\(output))") }
    }

    func run() async throws {
        guard let engine = build.builder ?? ContainerEngine.detect() else {
            throw EdgeError(.failure, "no container engine found: docker, podman and buildah are not on PATH",
                            hint: "install one of them; `edgeflash build plan` works without one")
        }
        let shared = inputs.forwarded + ["--output", output]

        Self.announce("1/3 build plan")
        try await BuildPlanCommand.parse(shared).run()

        Self.announce("2/3 build images (\(engine.rawValue))")
        try await BuildImagesCommand.parse(shared + build.forwarded(engine: engine)).run()

        Self.announce("3/3 build iso from the iso-image")
        let plan = BuildPlan.make(inputs.planInputs)
        guard let reference = plan.isoImage else {
            throw EdgeError(.malformed, "the plan has no iso-image to build the ISO from", hint: "run `edgeflash build plan` to see why")
        }
        let archive = URL(fileURLWithPath: output).appendingPathComponent("images/iso-image.tar")
        defer { try? FileManager.default.removeItem(at: archive) }
        Terminal.writeStderr("edgeflash: exporting \(reference) to \(archive.path)\n")
        let children = ChildGroup()
        let trap = SignalTrap { children.stopAll() }
        let source = try withExtendedLifetime(trap) {
            try ImageExport.save(reference, engine: engine, to: archive, children: children)
        }
        var iso = shared + ["--from-image", source]
        for directory in contentDirectories { iso += ["--content", directory] }
        if let overlayISO { iso += ["--overlay-iso", overlayISO] }
        try await BuildISOCommand.parse(iso).run()
    }

    static func announce(_ step: String) {
        Terminal.writeStderr("edgeflash: == \(step)\n")
    }
}
