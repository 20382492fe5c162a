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
            exitAsArgumentParser(error)
        }
    }

    /// ArgumentParser's own errors (an unknown option, a bad value) and clean exits (--help,
    /// --version), said as `EdgeFlashCommand.exit(withError:)` says them but printed here: an
    /// error quotes what was typed, which must be shown through the one printer, not obeyed by the
    /// terminal. Help and completion scripts are the parser's own text and go to stdout as they are.
    private static func exitAsArgumentParser(_ error: Error) -> Never {
        let text = EdgeFlashCommand.fullMessage(for: error)
        let status = EdgeFlashCommand.exitCode(for: error)
        if !text.isEmpty {
            if status == .success { Swift.print(text) } else { Terminal.writeStderr(text + "\n") }
        }
        exit(status.rawValue)
    }
}
