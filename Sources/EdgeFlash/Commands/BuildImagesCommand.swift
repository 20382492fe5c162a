import ArgumentParser
import EdgeCore

struct BuildImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "Build the provider images.")
    func run() async throws { throw SimpleError("not built yet") }
}
