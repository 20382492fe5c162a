import ArgumentParser
import EdgeCore

struct InjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inject",
        abstract: "Add or replace the site user-data volume on a written stick or an image file."
    )

    func run() async throws {
        throw SimpleError("'edgeflash inject' is not built yet.")
    }
}
