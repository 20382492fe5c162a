import ArgumentParser
import EdgeCore

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
