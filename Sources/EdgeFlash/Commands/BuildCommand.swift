import ArgumentParser
import EdgeCore

struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "The build side: validate build arguments, plan images, stage the installer ISO."
    )

    func run() async throws {
        throw SimpleError("'edgeflash build' is not built yet.")
    }
}
