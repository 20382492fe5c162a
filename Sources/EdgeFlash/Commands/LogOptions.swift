import ArgumentParser
import DiskOps
import EdgeCore

/// `--log FILE`: the flash log that `write` and `inject` append to and `log` reads.
struct LogOptions: ParsableArguments {
    @Option(name: .customLong("log"), help: ArgumentHelp("The flash log (default: /var/log/edgeflash/flash.jsonl as root, else $XDG_STATE_HOME/edgeflash/flash.jsonl).", valueName: "file"))
    var path: String?

    var log: FlashLog { FlashLog.resolve(path) }

    /// Appends `records`, one line each. A log that cannot be written is a warning, not the
    /// command's failure: the sticks are what their results say.
    func append(_ records: [FlashRecord]) {
        for record in records {
            do {
                try log.append(record)
            } catch {
                let failure = error as? any EdgeFlashError ?? EdgeError(.io, "\(error)")
                Terminal.writeStderr("edgeflash: warning: \(failure.message)\n")
            }
        }
    }
}

extension FlashRecord {
    /// A record of this edgeflash's version; `disk` fills the device's facts, `userData` the site's.
    init(_ operation: Operation, device: String, disk: Disk?, userData: SiteUserData?,
         failure: (any EdgeFlashError)?, seconds: Double) {
        self.init(version: EdgeFlashCommand.configuration.version, operation: operation, device: device,
                  failure: failure, seconds: seconds)
        if let disk { describe(disk) }
        site = userData?.site
        userDataSHA256 = userData?.userDataSHA256
        instanceID = userData?.instanceID
    }
}
