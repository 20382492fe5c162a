import ArgumentParser
import BuildStage
import EdgeCore
import Foundation

extension ContainerEngine: ExpressibleByArgument {}

struct BuildImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Build (and push) the provider images and the iso-image with buildah, podman or docker, as CanvOS composes them.",
        discussion: """
            Validates the inputs like `build plan`, then builds what CanvOS's provider-image target \
            builds, without Earthly: the checkout's Dockerfile with BASE resolved as CanvOS resolves \
            it (BASE_IMAGE, else the Kairos base from OS_DISTRIBUTION, OS_VERSION, ARCH and \
            KAIROS_INIT_VERSION) and CanvOS's OS preparation after it, built once; then per \
            Kubernetes version (at most --jobs at a time) the provider stage: the Kairos provider and \
            the Kubernetes payload (luet package k8s/DISTRIBUTION@VERSION) when the base's systemd \
            is older than 255 or BUNDLE_K8S_AND_AGENT_PROVIDER=true, the stylus framework files, \
            EDGE_CUSTOM_CONFIG, overlay/files/etc/, no SSH host keys, an empty read-only \
            machine-id, and labels (io.edgeflash.*: Kubernetes distribution and version, PE \
            version, edgeflash version, the .arg's SHA-256). Each image is tagged \
            IMAGE_REGISTRY/IMAGE_REPO:K8S_DISTRIBUTION-K8S_VERSION-PE_VERSION[-CUSTOM_TAG].

            Next to them, once, the iso-image the installer ISO is made from (CanvOS's iso-image \
            target): the base, the whole stylus framework image, the whole of overlay/files/, no SSH \
            host keys, an empty read-only machine-id; tagged \
            IMAGE_REGISTRY/IMAGE_REPO:iso-image-PE_VERSION[-CUSTOM_TAG] (for `build iso \
            --from-image`). --no-iso-image leaves it out.

            Every image is pulled first, each registry on its own terms: loopback registries \
            (localhost, 127.0.0.1) over plain HTTP. Credentials come from the engine's own auth \
            files (`podman login`, `docker login`); edgeflash never reads or prints them. buildah \
            and podman switch to --isolation chroot, once, when their OCI runtime cannot run here. \
            The Containerfiles and one log per image go to OUTPUT/images/; after --push, \
            OUTPUT/images.json maps each reference to its digest. A failing version is reported with \
            the last 20 lines of its log while the others finish. Ctrl-C stops the engines.

            --dry-run prints the same composition (commands and Containerfiles) and runs nothing.

            Examples:
              edgeflash build images --dry-run
              edgeflash build images --builder podman --push --jobs 2

            Exit status: 0 all built, 1 a build failed or no engine, 6 invalid input, 130 interrupted.
            """
    )

    @OptionGroup var inputs: BuildInputOptions

    @OptionGroup var build: ImageBuildOptions

    @Flag(help: "Print the composition (commands and Containerfiles) instead of building.")
    var dryRun = false

    @Option(help: "Where Containerfiles, logs and images.json go.")
    var output: String = "build"

    @Flag(name: .customLong("no-iso-image"), help: "Do not build the iso-image (the root of the installer ISO), only the provider images.")
    var noISOImage = false

    @Flag(help: "Print JSON lines (one event each; stable keys) instead of text.")
    var json = false

    func run() async throws {
        let (context, jobs, push) = (build.context, build.jobs, build.push)
        var planInputs = inputs.planInputs
        let file = build.dockerfilePath
        planInputs.dockerfilePath = file
        let plan = BuildPlan.make(planInputs)
        BuildIssuePrinter.print(plan.issues)
        if plan.issues.hasErrors { throw EdgeError.invalidInputs(plan.issues) }

        guard let engine = build.builder ?? ContainerEngine.detect() ?? (dryRun ? .buildah : nil) else {
            throw EdgeError(.failure, "no container engine found: docker, podman and buildah are not on PATH",
                            hint: "install one of them, or use --dry-run to see what would be built")
        }
        let executable = dryRun ? nil : try ImageBuilder.preflight(engine: engine, context: context, dockerfile: file)
        let composition = try CanvOSCheckout.composition(plan, context: context, dockerfile: file,
                                                         edgeflashVersion: EdgeFlashCommand.configuration.version)
        let workDirectory = URL(fileURLWithPath: output).appendingPathComponent("images")
        guard let executable else {
            let dryRun = ImagesDryRun(composition, images: plan.images, isoImage: !noISOImage, engine: engine, context: context,
                                      workDirectory: workDirectory.path, push: push, jobs: jobs)
            if json { JSONLines.emit(dryRun) } else { print(dryRun.text, terminator: "") }
            return
        }

        let children = ChildGroup()
        let trap = SignalTrap { children.stopAll() }
        defer { withExtendedLifetime(trap) {} }
        let json = json
        let builder = ImageBuilder(
            composition: composition, images: plan.images, isoImage: !noISOImage, engine: engine, executable: executable, context: context,
            workDirectory: workDirectory, push: push, jobs: jobs, scrubber: plan.arguments.proxyScrubber,
            children: children) { event in
                if json { JSONLines.emit(event) } else { Terminal.writeStderr(ImageEventText.line(event)) }
            }
        let outcomes = try await builder.run()
        if children.isStopped { throw EdgeError(.interrupted, "interrupted: the engines were stopped") }
        if push {
            let record = try ImagesRecord.update(URL(fileURLWithPath: output), pushed: outcomes)
            if !json { Terminal.writeStderr("edgeflash: digests recorded in \(record.path)\n") }
        }
        for outcome in outcomes where !json {
            print("\(outcome.error == nil ? "ok" : "FAILED")  \(outcome.reference)\(outcome.digest.map { "  \($0)" } ?? "")")
        }
        let failed = outcomes.filter { $0.error != nil }
        if !failed.isEmpty {
            throw EdgeError(.failure, "\(failed.count) of \(outcomes.count) image(s) failed: \(failed.map(\.reference).joined(separator: ", "))",
                            hint: "each failure's log is named above")
        }
    }
}

/// Progress as text on stderr: one line per step of each image; a failure with its log's end.
enum ImageEventText {
    static func line(_ event: ImageEvent) -> String {
        let subject = event.reference.map { " \($0)" } ?? ""
        switch event.event {
        case .failed:
            var text = "edgeflash: FAILED\(subject): \(event.message ?? "")\n"
            if let log = event.log { text += "  last lines of \(log):\n" }
            for line in event.logTail ?? [] { text += "  | \(line)\n" }
            return text
        case .pushed:
            return "edgeflash: pushed\(subject) \(event.digest ?? "(no digest reported)")\n"
        case .isolation, .probed:
            return "edgeflash:\(subject.isEmpty ? "" : subject + ":") \(event.message ?? "")\n"
        default:
            return "edgeflash: \(event.event.rawValue)\(subject)\n"
        }
    }
}
