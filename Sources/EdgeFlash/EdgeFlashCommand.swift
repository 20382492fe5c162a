import ArgumentParser

/// The root command. Each subcommand lives in Commands/, one file each.
struct EdgeFlashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edgeflash",
        abstract: "Prepare Edge hosts: stage the installer ISO, check it, and write site-ready USB sticks.",
        discussion: """
            Flashing side:
              edgeflash list                      drives you can write (--all: every disk)
              edgeflash inspect installer.iso     will it boot from a stick, BIOS and UEFI?
              edgeflash write installer.iso /dev/sdX
              edgeflash inject /dev/sdX --user-data site.yaml
              edgeflash write installer.iso /dev/sdX /dev/sdY --user-data site-template.yaml --sites sites.csv --next
              edgeflash check /dev/sdX            which image and site a stick holds
              edgeflash log                       which stick got which image and site
            Build side:
              edgeflash build plan --arg .arg     validate build arguments, show the images
              edgeflash build iso --base-iso base.iso

            Exit codes: 0 success, 1 failure, 3 refused by a safety check, \
            4 checksum or verification mismatch, 5 I/O error, 6 invalid input, \
            7 not confirmed, 64 usage, 130 interrupted.
            """,
        version: "0.1.0" + BuildCommit.versionSuffix,
        subcommands: [
            ListCommand.self,
            InspectCommand.self,
            VerifyCommand.self,
            WriteCommand.self,
            InjectCommand.self,
            CheckCommand.self,
            StationCommand.self,
            LogCommand.self,
            UserDataCommand.self,
            BuildCommand.self,
            UdevCheckCommand.self,
        ]
    )
}
