import ArgumentParser
import BuildStage
import DiskOps
import EdgeCore
import Foundation

struct InjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inject",
        abstract: "Add or replace the site user-data volume on a written stick or an image file.",
        discussion: """
            Puts a partition labelled CIDATA (FAT32) or cidata (ISO9660) holding `user-data` and \
            `meta-data` in the free space after the written image. The image's bytes stay as they \
            were; only the partition table gains (or updates) one entry. Running it again replaces \
            the volume. An image file grows to hold the volume, so per-site images can be made in \
            advance and flashed by any tool. The user-data is validated before anything is written, \
            and its secrets are never printed.

            Examples:
              edgeflash inject /dev/sdb --user-data site.yaml
              edgeflash inject site-a.iso --user-data site.yaml --instance-id site-a
              edgeflash inject /dev/sdb --user-data template.yaml --sites sites.csv --site berlin --yes
              edgeflash inject /dev/sdb --user-data site.yaml --fs iso9660 --json
            """
    )

    @Argument(help: ArgumentHelp("The stick (/dev/sdX) or image file to add the volume to.", valueName: "target"))
    var target: String

    @OptionGroup var userData: UserDataOptions

    @Flag(help: "Do not ask for confirmation before writing to a block device.")
    var yes = false

    @Flag(help: "Unmount the stick's mounted partitions instead of refusing.")
    var unmount = false

    @Flag(help: "Override the safety refusals that have an override (a fixed, non-removable disk).")
    var force = false

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func run() async throws {
        var warnings: [UserDataIssue] = []
        do {
            // Checked here, not in validate(), so --json reports a bad command line as a result object too.
            guard userData.userData != nil else {
                throw EdgeError(.usage, "inject needs --user-data FILE",
                                hint: "edgeflash inject TARGET --user-data site.yaml")
            }
            guard let prepared = try userData.prepare() else { return }
            warnings = prepared.warnings
            if isBlockDevice(target) { try confirm(prepared) }
            let plan = try prepared.inject(into: target)
            if json {
                JSONLines.emit(InjectResult(target: target, plan: plan, warnings: warnings))
            } else {
                print(Self.summary(plan, target: target))
            }
        } catch {
            // Scripts always get a final object: what failed and the exit status (messages never
            // carry a secret: they name keys and positions, and inject's errors are scrubbed).
            let failure = error as? EdgeFlashError
                ?? EdgeError(.failure, "inject failed: \(error)")
            if json { JSONLines.emit(InjectResult(target: target, failure: failure, warnings: warnings)) }
            throw failure
        }
    }

    /// The same safety policy as `write` (no system disk, nothing mounted, no partition...), then a
    /// confirmation naming the drive, unless --yes.
    private func confirm(_ prepared: PreparedUserData) throws {
        let disk = try TargetCheck.check(TargetRequest(imagePath: userData.userData ?? "", imageSize: 0,
                                                       devicePath: target, unmount: unmount, force: force))
        if yes { return }
        guard Terminal.stdinIsTTY else {
            throw EdgeError(.notConfirmed, "not writing to \(target) without confirmation",
                            hint: "Pass --yes to confirm from a script.")
        }
        let preview = try UserDataInjector.plan(target: target, prepared.request)
        let drive = [disk.vendor, disk.model].compactMap { $0 }.joined(separator: " ")
        let answer = Confirmation.answerOrExitOnInterrupt(
            question: "\(disk.path): \(drive.isEmpty ? "unknown model" : drive), \(ByteCount.human(disk.size)), serial \(disk.serial ?? "unknown")\n"
                + "Add a \(preview.label) volume (\(preview.fileSystem.rawValue), \(preview.size >> 20) MiB) at byte \(preview.start), after the image (which ends at byte \(preview.imageEnd) and stays as it is)? [y/N] ",
            saying: "\nedgeflash: interrupted: \(target) was not changed\n")
        guard let answer, ["y", "yes"].contains(answer.lowercased()) else {
            throw EdgeError(.notConfirmed, "not confirmed: \(target) was not changed")
        }
    }

    static func summary(_ plan: InjectionPlan, target: String) -> String {
        "\(plan.replacesExisting ? "Replaced" : "Added") \(plan.label) (\(plan.fileSystem.rawValue), \(plan.size >> 20) MiB) as partition \(plan.partitionNumber) of the \(plan.layout.rawValue) table on \(target), bytes \(plan.start)-\(plan.start + plan.size - 1); the image ends at byte \(plan.imageEnd)."
    }

    private func isBlockDevice(_ path: String) -> Bool {
        FileStatus.of(path)?.kind == .blockDevice
    }
}

/// `inject --json`: a stable schema for scripts, printed on success and on failure alike.
struct InjectResult: Encodable {
    struct Failure: Encodable {
        var message: String
        var hint: String?
    }

    /// Tells this line apart from `write --json`'s progress and result lines.
    let type = "user-data"
    var ok: Bool
    var exitStatus: Int32
    var target: String
    var layout: String?
    var partition: Int?
    var start: Int64?
    var size: Int64?
    var fileSystem: String?
    var label: String?
    var replaced: Bool?
    var imageEnd: Int64?
    var targetSize: Int64?
    var warnings: [UserDataIssue]
    var error: Failure?

    init(target: String, failure: EdgeFlashError, warnings: [UserDataIssue]) {
        ok = false
        exitStatus = failure.exitStatus.rawValue
        self.target = target
        self.warnings = warnings
        error = Failure(message: failure.message, hint: failure.hint)
    }

    init(target: String, plan: InjectionPlan, warnings: [UserDataIssue]) {
        ok = true
        exitStatus = ExitStatus.success.rawValue
        self.target = target
        layout = plan.layout.rawValue
        partition = plan.partitionNumber
        start = plan.start
        size = plan.size
        fileSystem = plan.fileSystem.rawValue
        label = plan.label
        replaced = plan.replacesExisting
        imageEnd = plan.imageEnd
        targetSize = plan.targetSize
        self.warnings = warnings
    }
}
