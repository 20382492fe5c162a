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
            advance and flashed by any tool; it is made readable by its owner only (0600), since it \
            then holds the site's secrets. The user-data is validated before anything is written, \
            and its secrets are never printed.

            A block device is checked like write's target (no system disk, nothing mounted, no \
            partition), then a confirmation shows the stick and where the volume goes; the answer \
            must be "yes". Ctrl-C before the volume is written leaves the target unchanged; during \
            its few writes (well under a second) they are finished first, and the message says so \
            (exit 130 either way).

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

    @OptionGroup var options: DiskChangeOptions

    @OptionGroup var logOptions: LogOptions

    func run() async throws {
        var warnings: [UserDataIssue] = []
        do {
            // Checked here, not in validate(), so --json reports a bad command line as a result object too.
            guard userData.userData != nil else {
                throw EdgeError(.usage, "inject needs --user-data FILE",
                                hint: "edgeflash inject TARGET --user-data site.yaml")
            }
            guard let site = try userData.prepare() else { return }
            warnings = site.warnings
            let session = InjectSession(InjectConfiguration(target: target, userData: site.volume,
                                                            unmount: options.unmount, force: options.force,
                                                            expectation: options.expectation))
            // Each result from here on is logged, but a declined question (nothing was changed).
            let start = Date()
            func log(_ disk: Disk?, _ failure: (any EdgeFlashError)?) {
                logOptions.append([FlashRecord(.inject, device: target, disk: disk, userData: site, failure: failure,
                                               seconds: Date().timeIntervalSince(start))])
            }
            let prepared: PreparedInject
            do {
                prepared = try session.prepare()
            } catch {
                log(nil, error as? any EdgeFlashError ?? EdgeError(.failure, "\(error)"))
                throw error
            }
            // A block device is confirmed (the answer must be "yes"); an image file is not asked about.
            if !options.yes, let question = try prepared.confirmation() { try Confirmation.ask(question) }
            let cancel = CancellationFlag()
            let plan: InjectionPlan
            do {
                plan = try withExtendedLifetime(InterruptTrap(cancel: cancel)) { try prepared.run(cancel: cancel) }
            } catch {
                log(prepared.disk, error as? any EdgeFlashError ?? EdgeError(.failure, "\(error)"))
                throw error
            }
            log(prepared.disk, nil)
            if options.json {
                JSONLines.emit(InjectResult(target: target, plan: plan, warnings: warnings))
            } else {
                print(Self.summary(plan, target: target))
            }
        } catch {
            // Scripts always get a final object: what failed and the exit status (the session's
            // errors come scrubbed of the user-data's secrets; validation errors name keys and positions).
            let failure = error as? EdgeFlashError
                ?? EdgeError(.failure, "inject failed: \(error)")
            if options.json { JSONLines.emit(InjectResult(target: target, failure: failure, warnings: warnings)) }
            throw failure
        }
    }

    static func summary(_ plan: InjectionPlan, target: String) -> String {
        "\(plan.replacesExisting ? "Replaced" : "Added") \(plan.label) (\(plan.fileSystem.rawValue), \(plan.size >> 20) MiB) as partition \(plan.partitionNumber) of the \(plan.layout.rawValue) table on \(target), bytes \(plan.start)-\(plan.start + plan.size - 1); the image ends at byte \(plan.imageEnd)."
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
