import Foundation
import Testing
import TestSupport

/// `--help` teaches: each command shows examples, and its prose is wrapped by ArgumentParser, not
/// broken by hand mid-sentence (which, re-wrapped at 80 columns, leaves one-word lines).
struct HelpTextTests {
    static let commands: [[String]] = [["list"], ["build"], ["build", "plan"], ["build", "iso"], ["build", "images"]]

    @Test(arguments: commands)
    func helpHasExamples(_ command: [String]) throws {
        let result = try EdgeFlashBinary.run(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Examples:"))
        #expect(result.stdout.contains("  edgeflash \(command.joined(separator: " "))"))
    }

    /// Greedy wrapping fills a line until the next word does not fit (ArgumentParser keeps lines
    /// under 80 columns): a prose line followed by more
    /// prose must be too full to take that word. Was: `list --help` printed "anything on" / "USB or
    /// MMC ... disk" / "that holds" because the source broke its lines by hand.
    /// Every command's prose, the root's and the flashing side's included. Was: the root's exit
    /// codes were broken by hand into three lines.
    static let everyCommand: [[String]] = [[]] + commands
        + [["inspect"], ["verify"], ["write"], ["inject"], ["user-data"]]

    @Test(arguments: everyCommand)
    func proseIsWrappedNotBroken(_ command: [String]) throws {
        let help = try EdgeFlashBinary.run(command + ["--help"], environment: ["COLUMNS": "80"]).stdout
        let prose = help.components(separatedBy: "\nUSAGE:")[0].components(separatedBy: "\n")
        for (line, next) in zip(prose, prose.dropFirst()) {
            // Blank lines end paragraphs; indented lines are examples and tables, laid out by hand.
            guard !line.isEmpty, !next.isEmpty, !line.hasPrefix(" "), !next.hasPrefix(" "),
                  !line.hasSuffix(":"), let word = next.split(separator: " ").first else { continue }
            #expect(line.count + 1 + word.count > 79, "\"\(line)\" could have taken \"\(word)\"")
        }
    }
}
