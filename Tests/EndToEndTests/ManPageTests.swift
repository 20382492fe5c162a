import Foundation
import Testing
import TestSupport

/// man/edgeflash.1 is generated from the argument parser (scripts/gen-man.sh). These tests fail
/// when it no longer matches the built `edgeflash`: a command, option or help text added, removed
/// or reworded without regenerating it.
struct ManPageTests {
    static let manPage = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("man/edgeflash.1")
    static let regenerate = "man/edgeflash.1 is out of date: run scripts/gen-man.sh and commit it"

    /// One command as `--experimental-dump-help` describes it.
    struct Command: Decodable {
        struct Argument: Decodable {
            struct Name: Decodable { var kind: String; var name: String }
            var kind: String
            var names: [Name]?
            var valueName: String?
            var abstract: String?
            var shouldDisplay: Bool
        }
        var commandName: String
        var abstract: String?
        var discussion: String?
        var shouldDisplay: Bool?
        var arguments: [Argument]?
        var subcommands: [Command]?

        /// Every visible command under this one, keyed by path ("" for the root, "build plan"...).
        func flattened(_ path: [String] = []) -> [(path: String, command: Command)] {
            let visible = (subcommands ?? []).filter { $0.shouldDisplay ?? true }
            return [(path.joined(separator: " "), self)] + visible.flatMap { $0.flattened(path + [$0.commandName]) }
        }

        /// What the man page lists for this command: `--long` options and positional value names.
        var entries: Set<String> {
            Set((arguments ?? []).filter(\.shouldDisplay).compactMap { argument in
                if argument.kind == "positional" { return argument.valueName }
                return argument.names?.first { $0.kind == "long" }.map { "--\($0.name)" }
            })
        }
    }

    struct DumpHelp: Decodable { var command: Command }

    static func commands() throws -> [(path: String, command: Command)] {
        let result = try EdgeFlashBinary.run(["--experimental-dump-help"])
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(DumpHelp.self, from: Data(result.stdout.utf8)).command.flattened()
    }

    /// The man page's own command tree: `.It Em name` opens a (sub)command inside the list of the
    /// command that owns it; `.It Fl -long` and `.It Ar value` are entries of the list's owner.
    static func manEntries(_ text: String) -> [String: Set<String>] {
        var entries: [String: Set<String>] = ["": []]
        var owners: [[String]] = [[]]
        var lastCommand: [String] = []
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            switch words.first {
            case ".Bl": owners.append(lastCommand)
            case ".El": owners.removeLast()
            case ".It" where words.count > 2 && words[1] == "Em":
                lastCommand = owners.last! + [words[2]]
                entries[lastCommand.joined(separator: " "), default: []] = []
            case ".It" where words.count > 2 && words[1] == "Fl":
                let long = words.dropFirst(2).first { $0.hasPrefix("-") && $0.count > 1 }
                if let long { entries[owners.last!.joined(separator: " "), default: []].insert("-" + long) }
            case ".It" where words.count > 2 && words[1] == "Ar":
                entries[owners.last!.joined(separator: " "), default: []].insert(words[2].replacingOccurrences(of: "...", with: ""))
            default: break
            }
        }
        return entries
    }

    /// Letters and digits only: mdoc escapes and re-flows text, the words stay. `\e` is mdoc's
    /// backslash (the line continuations in the examples).
    static func words(_ text: String) -> String {
        String(text.replacingOccurrences(of: "\\e", with: "").unicodeScalars.filter(CharacterSet.alphanumerics.contains))
    }

    @Test func everyCommandAndOptionIsInTheManPage() throws {
        let man = Self.manEntries(try String(contentsOf: Self.manPage, encoding: .utf8))
        let commands = try Self.commands()
        for (path, command) in commands {
            let listed = try #require(man[path], "command '\(path)' is missing; \(Self.regenerate)")
            #expect(listed == command.entries, "options of '\(path)' differ; \(Self.regenerate)")
        }
        // ArgumentParser adds `help` to the page; anything else extra was removed from the tool.
        let extra = Set(man.keys).subtracting(commands.map(\.path)).filter { $0 != "help" }
        #expect(extra.isEmpty, "the man page has commands the tool no longer has: \(extra.sorted()); \(Self.regenerate)")
    }

    @Test func everyHelpTextIsInTheManPage() throws {
        let man = Self.words(try String(contentsOf: Self.manPage, encoding: .utf8))
        for (path, command) in try Self.commands() {
            let texts = [command.abstract, command.discussion] + (command.arguments ?? []).filter(\.shouldDisplay).map(\.abstract)
            for text in texts.compactMap({ $0 }) where !text.isEmpty {
                let present = man.contains(Self.words(text))
                #expect(present, "'\(path)': \"\(text.prefix(60))...\" is not in the man page; \(Self.regenerate)")
            }
        }
    }

    /// The parser of the page itself, on a page shaped like the generator's.
    @Test func manParserFollowsNesting() {
        let page = """
            .Bl -tag -width 6n
            .It Fl -version
            .It Em build
            .Bl -tag -width 6n
            .It Fl h , -help
            .It Em plan
            .Bl -tag -width 6n
            .It Fl -arg Ar arg
            .It Ar files...
            .El
            .El
            .It Em list
            .Bl -tag -width 6n
            .It Fl -all
            .El
            .El
            """
        #expect(Self.manEntries(page) == ["": ["--version"], "build": ["--help"], "build plan": ["--arg", "files"], "list": ["--all"]])
    }
}
