import ArgumentParser
import EdgeCore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an image against its checksum, or a written device against the image."
    )

    func run() async throws {
        throw SimpleError("'edgeflash verify' is not built yet.")
    }
}
