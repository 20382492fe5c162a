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
        try Self.checkSources(request.plan)
        // A symlink is staged as its target's bytes: xorriso would put the link itself in the ISO,
        // dangling there.
        var staged = request
        staged.plan = Self.followingSymlinks(request.plan)
        let directory = URL(fileURLWithPath: request.outputDirectory)
        try OutputDirectory.create(directory)
        let finalISO = directory.appendingPathComponent("\(request.isoName).iso")
        let finalSum = directory.appendingPathComponent("\(request.isoName).iso.sha256")
        try Self.checkSpace(staged, directory: directory)

        let interrupt = StagingInterrupt()
        progress("reading the boot setup of \(request.baseISO)")
        let baseReport = try interrupt.run { try bootReport(request.baseISO, started: $0) }
        let temporary = AtomicFile.temporaryPath(for: finalISO)
        let temporarySum = AtomicFile.temporaryPath(for: finalSum)
        defer {
            try? FileManager.default.removeItem(at: temporary)
            try? FileManager.default.removeItem(at: temporarySum)
        }

        progress("staging \(staged.plan.mappings.count) file(s) into \(finalISO.lastPathComponent)")
        var droppedHFSPlus = false
        try AtomicFile.createPrivate(temporary)
        var output = try interrupt.run { try runStage(staged, temporary: temporary, dropHFSPlus: false, started: $0) }
        if !output.succeeded && output.stderr.contains("GPT partitions") && output.stderr.contains("overlap")
            && baseReport.contains("HFSPLUS") {
            progress("warning: xorriso cannot re-lay this image's HFS+/APM Mac hybrid; staging without it (BIOS, UEFI, MBR and GPT are kept)")
            try? FileManager.default.removeItem(at: temporary)
            droppedHFSPlus = true
            try AtomicFile.createPrivate(temporary)
            output = try interrupt.run { try runStage(staged, temporary: temporary, dropHFSPlus: true, started: $0) }
        }
        guard output.succeeded else { throw Self.stagingError(output, directory: directory) }

        progress("checking the boot setup is unchanged")
        let before = BootSetup(xorriso: baseReport, ignoringHFSPlus: droppedHFSPlus)
        let after = BootSetup(xorriso: try interrupt.run { try bootReport(temporary.path, started: $0) }, ignoringHFSPlus: droppedHFSPlus)
        guard before == after else {
            throw EdgeError(.failure, "the staged ISO's boot setup differs from \(request.baseISO): "
                                  + before.differences(to: after).joined(separator: "; "), hint: "nothing was written; please report this with the base ISO's xorriso -report_system_area output")
        }

        progress("computing SHA-256")
        let hex = try FileHasher.hash(file: temporary, algorithm: .sha256)
        try interrupt.check()
        do {
            // GNU coreutils format, so `sha256sum -c` and `edgeflash verify` accept it.
            try AtomicFile.createPrivate(temporarySum)
            let handle = try FileHandle(forWritingTo: temporarySum)
            defer { try? handle.close() }
            try handle.write(contentsOf: Data("\(hex)  \(finalISO.lastPathComponent)\n".utf8))
        } catch {
            throw EdgeError(.io, "could not write \(finalSum.path): \(error.localizedDescription)")
        }
        try AtomicFile.commit(temporary, to: finalISO)
        do {
            try AtomicFile.commit(temporarySum, to: finalSum)
        } catch {
            // An ISO without its checksum would be taken for unverified: take both back.
            try? FileManager.default.removeItem(at: finalISO)
            throw error
        }
        let size = Self.fileSize(finalISO.path)
        return Result(iso: finalISO.path, checksumFile: finalSum.path, sha256: hex, size: size,
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
            throw EdgeError(.malformed, "xorriso could not read \(image): \(Self.failureLines(output.stderr))")
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

    /// The plan with each source replaced by the file it resolves to, symlinks followed.
    static func followingSymlinks(_ plan: ISOStagingPlan) -> ISOStagingPlan {
        var resolved = plan
        for index in resolved.mappings.indices {
            resolved.mappings[index].source = BuildContextFile.realPath(plan.mappings[index].source) ?? plan.mappings[index].source
        }
        return resolved
    }

    static func checkSources(_ plan: ISOStagingPlan) throws {
        var problems: [String] = []
        for source in Set(plan.mappings.map(\.source)).sorted() {
            if let problem = FileState.of(source).problem { problems.append("\(source) \(problem)") }
        }
        if !problems.isEmpty {
            throw EdgeError(.malformed, "cannot stage the ISO: " + problems.joined(separator: "; "))
        }
    }

    /// The output needs about the base ISO plus the added files; say so before xorriso runs out.
    static func checkSpace(_ request: Request, directory: URL) throws {
        var needed = fileSize(request.baseISO) + 1 << 20
        for mapping in request.plan.mappings { needed += mapping.range?.count ?? fileSize(mapping.source) }
        var stats = statvfs()
        guard statvfs(directory.path, &stats) == 0 else { return }
        let available = Int64(stats.f_bavail) * Int64(stats.f_frsize)
        if available < needed {
            throw EdgeError(.io, "not enough space in \(directory.path) for the staged ISO: needs about \(needed >> 20) MiB, \(available >> 20) MiB free",
                            hint: "free some space or choose another --output directory")
        }
    }

    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
    }

    static func stagingError(_ output: ChildProcess.Result, directory: URL) -> EdgeError {
        // xorriso checks free space itself before writing ("exceeds free space on media"); a disk
        // that fills up while it writes gives ENOSPC.
        if output.stderr.contains("No space left on device") || output.stderr.contains("exceeds free space") {
            return EdgeError(.io, "no space left on the device holding \(directory.path) while staging the ISO; nothing was written",
                             hint: "free some space or choose another --output directory")
        }
        return EdgeError(.failure, "xorriso failed to stage the ISO (\(output.outcome)): \(failureLines(output.stderr))",
                         hint: "nothing was written")
    }

    /// xorriso's FAILURE/SORRY lines, which say what went wrong, without its chatter.
    static func failureLines(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").filter { $0.contains("FAILURE") || $0.contains("SORRY") }
        return (lines.isEmpty ? stderr.split(separator: "\n").suffix(3) : lines.prefix(4)).joined(separator: " | ")
    }
}
