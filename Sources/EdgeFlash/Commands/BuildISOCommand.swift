import ArgumentParser
import EdgeCore

struct BuildISOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "iso", abstract: "Stage the installer ISO.")
    func run() async throws { throw SimpleError("not built yet") }
}
