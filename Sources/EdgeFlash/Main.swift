import ArgumentParser
import EdgeCore
#if canImport(Glibc)
import Glibc
#endif

/// Runs the parsed command and turns errors into one or two lines on stderr and a documented exit code.
@main
enum Main {
    static func main() async {
        do {
            var command = try EdgeFlashCommand.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as EdgeFlashError {
            Terminal.printError(error)
            exit(error.exitStatus.rawValue)
        } catch {
            EdgeFlashCommand.exit(withError: error)
        }
    }
}
