import ArgumentParser
import BuildStage
import EdgeCore
import Foundation

struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "The build side: validate build arguments, plan and build images, build the installer ISO.",
        discussion: """
            Reads the same inputs as CanvOS (.arg, k8s_version.json, user-data) and finds every \
            mistake at once, with its file and line, before anything is built.

            Examples:
              edgeflash build plan --arg .arg --pe-version v4.4.12
              edgeflash build iso --from-image dir:/srv/iso-root --arg .arg
              edgeflash build iso --base-iso base.iso --user-data user-data
              edgeflash build images --builder docker --dry-run
              edgeflash build all --builder podman --push
            """,
        subcommands: [BuildPlanCommand.self, BuildImagesCommand.self, BuildISOCommand.self, BuildAllCommand.self]
    )
}

/// The options every build subcommand shares: where the inputs are.
struct BuildInputOptions: ParsableArguments {
    @Option(name: .customLong("arg"), help: "The build arguments file (KEY=VALUE). Default: .arg")
    var argPath: String?

    @Option(name: .customLong("k8s-versions"), help: "k8s_version.json (default: the one beside .arg, if any).")
    var k8sVersionsPath: String?

    @Option(name: .customLong("user-data"), help: "The user-data to validate (default: user-data beside .arg, if any).")
    var userDataPath: String?

    @Option(name: .customLong("pe-version"), help: "The Palette Edge version for image tags (overrides PE_VERSION in .arg).")
    var peVersion: String?
}

extension BuildInputOptions {
    /// The same options as command-line words, for `build all` to hand each step.
    var forwarded: [String] {
        [("--arg", argPath), ("--k8s-versions", k8sVersionsPath), ("--user-data", userDataPath), ("--pe-version", peVersion)]
            .flatMap { flag, value in value.map { [flag, $0] } ?? [] }
    }
}

/// The options `build images` and `build all` share: which engine builds what, and how.
struct ImageBuildOptions: ParsableArguments {
    @Option(help: "buildah, podman or docker (default: docker when its daemon answers, else podman, else buildah).")
    var builder: ContainerEngine?

    @Flag(help: "Push each image after it is built.")
    var push = false

    @Option(help: "Build context: the CanvOS checkout.")
    var context: String = "."

    @Option(name: .customLong("file"), help: "The checkout's Dockerfile (default: CONTEXT/Dockerfile).")
    var dockerfile: String?

    @Option(help: "Images built at the same time.")
    var jobs: Int = 2

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
    }

    /// The checkout's Dockerfile: --file, else CONTEXT/Dockerfile.
    var dockerfilePath: String { dockerfile ?? (context as NSString).appendingPathComponent("Dockerfile") }

    /// The same options as command-line words, with the engine `build all` settled on.
    func forwarded(engine: ContainerEngine) -> [String] {
        ["--builder", engine.rawValue, "--context", context, "--jobs", String(jobs)]
            + (dockerfile.map { ["--file", $0] } ?? []) + (push ? ["--push"] : [])
    }
}
