import ArgumentParser
import DiskOps
import EdgeCore

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the drives you can write, with their size, model and partitions.",
        discussion: """
            By default only candidates are shown: removable or hotplug drives and anything on \
            USB or MMC (fixed-flash USB sticks that report removable=0 included), never a disk \
            that holds /, /boot, /boot/efi, /usr, /var, /home or an active swap.

            Examples:
              edgeflash list                 the drives you can write
              edgeflash list --all           every disk, with the reason it is not offered
              edgeflash list --all --json    for scripts (schema: docs/list-json.md)
            """
    )

    @Flag(help: "Show every disk (loop devices, internal and system disks too) with the reason it is not offered.")
    var all = false

    @Flag(help: "Print one JSON object (schema: docs/list-json.md) instead of a table.")
    var json = false

    func run() async throws {
        let disks = try Inventory.live().filter { all || $0.isCandidate }
        if json {
            JSONLines.emit(DiskListing(disks: disks))
        } else if disks.isEmpty {
            print("No removable drives found. Plug in a USB stick or SD card, or run 'edgeflash list --all'.")
        } else {
            print(DiskTable.render(disks, showReasons: all), terminator: "")
        }
    }
}

/// The `list --json` document. Bump `schemaVersion` on any incompatible change.
struct DiskListing: Encodable {
    let schemaVersion = 1
    let disks: [Disk]
}
