import ArgumentParser
import DiskOps

/// Asked by udev/60-edgeflash.rules when a drive appears: exit 0 when edgeflash would offer it
/// (what `list` shows by default), so the rule grants the edgeflash group exactly those drives.
struct UdevCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "udev-check",
        abstract: "Exit 0 when edgeflash would offer this drive (asked by the udev rule at plug time).",
        discussion: """
            udev/60-edgeflash.rules runs `edgeflash udev-check %k` for each whole disk that \
            appears; a zero exit makes the disk writable by the edgeflash group. The answer is \
            the one `edgeflash list` gives: removable, hotplug, USB and MMC drives, never a disk \
            that holds the running system, an internal disk, an optical drive, a loop or virtual \
            device. It prints the reason when the drive is not offered.

            Examples:
              edgeflash udev-check sdb && echo "the edgeflash group may write /dev/sdb"
            """
    )

    @Argument(help: ArgumentHelp("The kernel name of the disk, such as sdb (or /dev/sdb).", valueName: "name"))
    var name: String

    func run() throws {
        let kernelName = name.hasPrefix("/dev/") ? String(name.dropFirst(5)) : name
        if let reason = Inventory.notOfferedAtPlugTime(name: kernelName, in: try SystemSnapshot.live()) {
            print("\(kernelName): not offered: \(reason)")
            throw ExitCode(1)
        }
        print("\(kernelName): offered")
    }
}
