import ArgumentParser
import BuildStage
import EdgeCore
import Foundation

extension ContainerEngine: ExpressibleByArgument {}

struct BuildImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Build (and push) the provider image matrix with docker, podman or buildah.",
        discussion: """
            Validates the inputs like `build plan`, then runs one build per provider image (at most \
            --jobs at a time), passing every .arg value as --build-arg and tagging each image \
            IMAGE_REGISTRY/IMAGE_REPO:K8S_DISTRIBUTION-K8S_VERSION-PE_VERSION[-CUSTOM_TAG].

            Needs a container engine and a CanvOS checkout (its Dockerfile) as the build context; \
            --dry-run prints the exact commands and needs neither.

            Examples:
              edgeflash build images --dry-run
              edgeflash build images --builder podman --push --jobs 1

            Exit status: 0 all built, 1 a build failed or no engine, 6 invalid input.
            """
    )

    @OptionGroup var inputs: BuildInputOptions

    @Option(help: "docker, podman or buildah (default: the first found on PATH).")
    var builder: ContainerEngine?

    @Flag(help: "Push each image after it is built.")
    var push = false

    @Flag(help: "Print the commands instead of running them.")
    var dryRun = false

    @Option(help: "Build context: the CanvOS checkout.")
    var context: String = "."

    @Option(name: .customLong("file"), help: "The Dockerfile (default: CONTEXT/Dockerfile).")
    var dockerfile: String?

    @Option(help: "Images built at the same time.")
    var jobs: Int = 2

    @Flag(help: "Print one JSON object (stable schema) instead of text.")
    var json = false

    func run() async throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        let plan = BuildPlan.make(inputs.planInputs)
        BuildIssuePrinter.print(plan.issues)
        if plan.issues.hasErrors { throw EdgeError.invalidInputs(plan.issues) }

        let engine = builder ?? ContainerEngine.detect()
        let file = dockerfile ?? (context as NSString).appendingPathComponent("Dockerfile")
        guard let engine = engine ?? (dryRun ? .docker : nil) else {
            throw EdgeError(.failure, "no container engine found: docker, podman and buildah are not on PATH",
                            hint: "install one of them, or use --dry-run to see the commands")
        }
        let executable = dryRun ? nil : try ImageBuilder.preflight(engine: engine, context: context, dockerfile: file)
        let steps = ImageBuildCommands.steps(plan.images, arguments: plan.arguments, engine: engine, push: push,
                                             context: context, dockerfile: file)
        guard let executable else {
            if json {
                JSONLines.emit(ImagesDryRunJSON(engine: engine, jobs: jobs, steps: steps.map {
                    .init(reference: $0.image.reference, build: ImageBuildCommands.display($0.build),
                          push: $0.push.map(ImageBuildCommands.display))
                }))
            } else {
                for step in steps {
                    print(ImageBuildCommands.display(step.build))
                    if let push = step.push { print(ImageBuildCommands.display(push)) }
                }
            }
            return
        }
        let builder = ImageBuilder(jobs: jobs) { Terminal.writeStderr("edgeflash: \($0)\n") }
        let outcomes = await builder.run(steps, executable: executable)
        if json { JSONLines.emit(outcomes) }
        for outcome in outcomes {
            if !json { print("\(outcome.error == nil ? "ok" : "FAILED")  \(outcome.reference)\(outcome.pushed ? " (pushed)" : "")") }
            if let error = outcome.error { Terminal.writeStderr("edgeflash: \(outcome.reference): \(error)\n") }
        }
        let failed = outcomes.filter { $0.error != nil }.count
        if failed > 0 { throw EdgeError(.failure, "\(failed) of \(outcomes.count) provider image(s) failed") }
    }
}

/// `build images --dry-run --json`: the engine, the parallelism and each image's shell commands.
struct ImagesDryRunJSON: Encodable {
    struct Step: Encodable { var reference: String; var build: String; var push: String? }
    var engine: ContainerEngine
    var jobs: Int
    var steps: [Step]
}
