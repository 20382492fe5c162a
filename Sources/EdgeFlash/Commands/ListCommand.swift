import ArgumentParser
import EdgeCore

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the drives you can write, with their size, model and partitions."
    )

    func run() async throws {
        throw SimpleError("'edgeflash list' is not built yet.")
    }
}
