import ArgumentParser
import EdgeCore

struct UserDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user-data",
        abstract: "Validate user-data, or show it with its secrets redacted."
    )

    func run() async throws {
        throw SimpleError("'edgeflash user-data' is not built yet.")
    }
}
