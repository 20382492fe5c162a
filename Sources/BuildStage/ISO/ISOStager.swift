import EdgeCore
import Foundation
import ISOVerify
#if canImport(Glibc)
import Glibc
#endif

/// Stages the installer ISO from a base installer ISO with xorriso and writes it, with its
/// checksum file, under the final names only when everything succeeded and the boot setup is
/// checked unchanged. The temporary files hold the user-data: they are owner-only (0600) from the
/// moment they exist and removed on every way out, Ctrl-C and SIGTERM included.
public struct ISOStager: Sendable {
    public struct Request: Sendable {
        public var baseISO: String
        public var outputDirectory: String
        public var isoName: String
        public var plan: ISOStagingPlan
        public var sourceDateEpoch: Int64?

        public init(baseISO: String, outputDirectory: String, isoName: String, plan: ISOStagingPlan, sourceDateEpoch: Int64?) {
            self.baseISO = baseISO
            self.outputDirectory = outputDirectory
            self.isoName = isoName
            self.plan = plan
            self.sourceDateEpoch = sourceDateEpoch
        }
    }

    public struct Result: Sendable, Codable {
        public var iso: String
        public var checksumFile: String
        public var sha256: String
        public var size: Int64
        public var volumeID: String
        /// true when the base's HFS+/APM Mac hybrid could not be kept (grub-mkrescue images, xorriso 1.5.4).
        public var droppedHFSPlus: Bool
        public var files: [ISOStagingPlan.Mapping]
    }

    public var xorriso: String
    public var progress: @Sendable (String) -> Void

    public init(xorriso: String, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.xorriso = xorriso
        self.progress = progress
    }

    /// Finds xorriso on PATH or says how to get it.
    public static func locate(progress: @escaping @Sendable (String) -> Void = { _ in }) throws -> ISOStager {
        guard let path = ChildProcess.find("xorriso") else {
            throw EdgeError(.failure, "xorriso is not installed; it is the tool that rewrites the ISO",
                            hint: "install it (Debian/Ubuntu: apt-get install xorriso) and run again")
        }
        return ISOStager(xorriso: path, progress: progress)
    }

    public func stage(_ request: Request) throws -> Result {
        try Self.checkBase(request.baseISO)
        try request.plan.checkSources()
        // A symlink is staged as its target's bytes: xorriso would put the link itself in the ISO,
        // dangling there.
        var staged = request
        staged.plan = request.plan.followingSymlinks()
        let directory = URL(fileURLWithPath: request.outputDirectory)
        try OutputDirectory.create(directory)
        let output = ISOOutputFiles(directory: directory, isoName: request.isoName)
        try ISOOutputFiles.checkSpace(ISOOutputFiles.size(of: request.baseISO) + staged.plan.byteCount + 1 << 20,
                                      in: directory, for: "the staged ISO")

        let interrupt = StagingInterrupt()
        progress("reading the boot setup of \(request.baseISO)")
        let baseReport = try interrupt.run { try bootReport(request.baseISO, started: $0) }
        defer { output.removeTemporaries() }

        progress("staging \(staged.plan.mappings.count) file(s) into \(output.iso.lastPathComponent)")
        var droppedHFSPlus = false
        try AtomicFile.createPrivate(output.temporaryISO)
        var run = try interrupt.run { try runStage(staged, temporary: output.temporaryISO, dropHFSPlus: false, started: $0) }
        if !run.succeeded && run.stderr.contains("GPT partitions") && run.stderr.contains("overlap")
            && baseReport.contains("HFSPLUS") {
            progress("warning: xorriso cannot re-lay this image's HFS+/APM Mac hybrid; staging without it (BIOS, UEFI, MBR and GPT are kept)")
            try? FileManager.default.removeItem(at: output.temporaryISO)
            droppedHFSPlus = true
            try AtomicFile.createPrivate(output.temporaryISO)
            run = try interrupt.run { try runStage(staged, temporary: output.temporaryISO, dropHFSPlus: true, started: $0) }
        }
        guard run.succeeded else {
            throw ISOToolFailure.error(run, doing: "staging the ISO", directory: directory.path)
        }

        progress("checking the boot setup is unchanged")
        let before = BootSetup(xorriso: baseReport, ignoringHFSPlus: droppedHFSPlus)
        let after = BootSetup(xorriso: try interrupt.run { try bootReport(output.temporaryISO.path, started: $0) }, ignoringHFSPlus: droppedHFSPlus)
        guard before == after else {
            throw EdgeError(.failure, "the staged ISO's boot setup differs from \(request.baseISO): "
                                  + before.differences(to: after).joined(separator: "; "), hint: "nothing was written; please report this with the base ISO's xorriso -report_system_area output")
        }

        let (hex, size) = try output.publish(interrupt: interrupt, progress: progress)
        return Result(iso: output.iso.path, checksumFile: output.checksumFile.path, sha256: hex, size: size,
                      volumeID: Self.volumeID(baseReport), droppedHFSPlus: droppedHFSPlus, files: request.plan.mappings)
    }

    func runStage(_ request: Request, temporary: URL, dropHFSPlus: Bool,
                  started: (Int32) -> Void) throws -> ChildProcess.Result {
        try ChildProcess.run(xorriso, XorrisoArguments.stage(base: request.baseISO, output: temporary.path, plan: request.plan,
                                                           sourceDateEpoch: request.sourceDateEpoch, dropHFSPlus: dropHFSPlus),
                             started: started)
    }

    func bootReport(_ image: String, started: (Int32) -> Void) throws -> String {
        let output = try ChildProcess.run(xorriso, XorrisoArguments.reportBoot(image: image) + ["-pvd_info"], started: started)
        guard output.succeeded else {
            throw EdgeError(.malformed, "xorriso could not read \(image): \(ISOToolFailure.lines(output.stderr))")
        }
        return output.stdout
    }

    static func volumeID(_ report: String) -> String {
        for line in report.split(separator: "\n") where line.hasPrefix("Volume Id") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }
        return ""
    }

    /// Not an ISO, truncated, missing, a directory: said before xorriso is run. The ISO check is
    /// ISOVerify's, the same `verify` and `write` use.
    static func checkBase(_ path: String) throws {
        if let problem = FileState.of(path).problem {
            throw EdgeError(.malformed, "base ISO \(path) \(problem)",
                            hint: "give the installer ISO to stage with --base-iso")
        }
        let sanity: ISOSanity
        do {
            sanity = try ISOSanity.check(image: URL(fileURLWithPath: path))
        } catch let error as EdgeError {
            // ISOVerify's hint speaks of writing and inspecting; here only an ISO 9660 base will do.
            throw EdgeError(error.code, "base ISO \(path): \(error.message)",
                            hint: "--base-iso takes an installer ISO (ISO 9660), such as a CanvOS build's palette-edge-installer.iso")
        }
        if let problem = sanity.problem {
            throw EdgeError(.malformed, "base ISO \(path): \(problem.message)", hint: problem.hint)
        }
    }
}
