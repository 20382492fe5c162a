import ArgumentParser
import DiskOps

/// The flags every command that changes a disk shares (`write`, `inject`), with one meaning each.
struct DiskChangeOptions: ParsableArguments {
    @Flag(help: "Do not ask for confirmation (for scripts); without it, the answer must be \"yes\".")
    var yes = false

    @Flag(help: "Override the refusals that have an override: an internal (non-removable) disk, an ISO that will not boot from a stick.")
    var force = false

    @Flag(help: "Unmount the disk's mounted partitions instead of refusing.")
    var unmount = false

    @Flag(help: "JSON lines on stdout, for scripts: a final result object (after progress events, for write).")
    var json = false

    @Option(help: ArgumentHelp("Refuse the disk unless its serial number is this one (see 'edgeflash list'): for scripts, where a disk's name can change between boots.", valueName: "serial"))
    var expectSerial: String?

    @Option(help: ArgumentHelp("Refuse the disk unless it is exactly this many bytes (see 'edgeflash list --json').", valueName: "bytes"))
    var expectSize: Int64?

    /// What the disk must be; checked before anything is opened for writing.
    var expectation: DiskExpectation { DiskExpectation(serial: expectSerial, size: expectSize) }
}
