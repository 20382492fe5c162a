import ArgumentParser
import EdgeCore

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Tell whether an ISO is whole and will boot from a stick on BIOS and UEFI."
    )

    func run() async throws {
        throw SimpleError("'edgeflash inspect' is not built yet.")
    }
}
