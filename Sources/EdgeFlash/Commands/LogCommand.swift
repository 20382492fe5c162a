import ArgumentParser
import DiskOps
import EdgeCore
import Foundation

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "List the flash log: which stick was written with which image and site, and how it went.",
        discussion: """
            write and inject append one JSON line per stick to the flash log (--log FILE; by \
            default /var/log/edgeflash/flash.jsonl as root, else $XDG_STATE_HOME/edgeflash/flash.jsonl): \
            the time, the image and its SHA-256, the stick's model, serial and size, the site and the \
            SHA-256 of its user-data (never the user-data itself), and the result. Lines that are not \
            whole records (torn by a crash or a full disk) are skipped and reported on stderr; the \
            rest is listed, and the exit status stays 0. The keys are described in docs/flash-log.md.

            Examples:
              edgeflash log
              edgeflash log --site berlin
              edgeflash log --serial 4C530001230817115553 --json
            """
    )

    @Option(help: ArgumentHelp("Only the records of this site.", valueName: "name"))
    var site: String?

    @Option(help: ArgumentHelp("Only the records of the stick with this serial.", valueName: "serial"))
    var serial: String?

    @Flag(help: "One JSON object on stdout: the log's path, its records and the numbers of the lines skipped.")
    var json = false

    @OptionGroup var logOptions: LogOptions

    func run() throws {
        let log = logOptions.log
        let contents = try log.read()
        let records = contents.records.filter { record in
            (site == nil || record.site == site) && (serial == nil || record.serial == serial)
        }
        if json {
            JSONLines.emit(LogListing(path: log.path, records: records, skippedLines: contents.skippedLines))
        } else if !records.isEmpty {
            print(Self.table(records), terminator: "")
        }
        if !json {
            for line in contents.skippedLines {
                Terminal.writeStderr("edgeflash: warning: skipped line \(line) of \(log.path): not a whole record (torn by a crash or a full disk?)\n")
            }
        }
    }

    static func table(_ records: [FlashRecord]) -> String {
        var rows = [["TIME", "OPERATION", "DEVICE", "SERIAL", "SITE", "IMAGE", "RESULT", "SECONDS"]]
        for record in records {
            rows.append([record.time, record.operation.rawValue, record.device, record.serial ?? "-", record.site ?? "-",
                         record.image ?? "-", record.succeeded ? "ok" : "\(record.result) (exit \(record.exitStatus))",
                         String(format: "%.1f", record.seconds)])
        }
        return TextColumns.render(rows)
    }
}

/// `log --json`: the records (keys as in docs/flash-log.md) and the lines that were not records.
struct LogListing: Encodable {
    var path: String
    var records: [FlashRecord]
    var skippedLines: [Int]
}
