import ArgumentParser
import BuildStage
import EdgeCore
import Foundation

struct UserDataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user-data",
        abstract: "Validate user-data, or show it with its secrets redacted.",
        discussion: """
            Examples:
              edgeflash user-data validate site.yaml
              edgeflash user-data validate template.yaml --sites sites.yaml --site berlin --json
              edgeflash user-data show site.yaml
            """,
        subcommands: [Validate.self, Show.self]
    )

    /// The file, or a template rendered for one site.
    struct Source: ParsableArguments {
        @Argument(help: ArgumentHelp("The user-data file (a Mustache template with --sites).", valueName: "file"))
        var file: String

        @Option(name: .customLong("sites"), help: ArgumentHelp("A sites.yaml or sites.csv to render the template with.", valueName: "file"))
        var sites: String?

        @Option(name: .customLong("site"), help: ArgumentHelp("The site to render.", valueName: "name"))
        var site: String?

        func load() throws -> UserDataFiles {
            try UserDataFiles.load(userDataPath: file, sitesPath: sites, site: site)
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check user-data the way the installer reads it; errors give line and column.")

        @OptionGroup var source: Source

        @Flag(help: "Print the report as one JSON object.")
        var json = false

        func run() async throws {
            let files = try source.load()
            let report = files.report
            if json {
                JSONLines.emit(ValidationResult(file: report.file, site: files.site?.name, valid: report.isValid, issues: report.issues))
            } else {
                for issue in report.issues {
                    print(UserDataRedactor.scrub(issue.formatted(file: report.file), secrets: files.secrets))
                }
                let warnings = report.issues.filter { $0.severity == .warning }.count
                let subject = files.site.map { "\(report.file) for \($0.description)" } ?? report.file
                print("\(subject): \(report.isValid ? "valid" : "invalid")\(warnings > 0 ? " (\(warnings) warning\(warnings == 1 ? "" : "s"))" : "")")
            }
            if !report.isValid {
                throw ExitCode(ExitStatus.invalidInput.rawValue)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print user-data with its secrets redacted: tokens, passwords, credentials, private keys, passwords in URLs.")

        @OptionGroup var source: Source

        func run() async throws {
            let files = try source.load()
            let text = String(decoding: files.userData, as: UTF8.self)
            let redacted = UserDataRedactor.redact(text)
            print(redacted, terminator: redacted.hasSuffix("\n") ? "" : "\n")
        }
    }
}

/// `user-data validate --json`.
struct ValidationResult: Encodable {
    var file: String
    /// The site the template was rendered for (--site).
    var site: String?
    var valid: Bool
    var issues: [UserDataIssue]
}
