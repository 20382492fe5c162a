import ArgumentParser
import EdgeCore

struct WriteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",
        abstract: "Write an image to a whole disk, then read it back to verify it."
    )

    func run() async throws {
        throw SimpleError("'edgeflash write' is not built yet.")
    }
}
