import ArgumentParser
import BuildStage
import EdgeCore
import Foundation

struct BuildISOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iso",
        abstract: "Stage the installer ISO from a base installer ISO: user-data, content bundles, configs.",
        discussion: """
            Adds to a copy of the base ISO, as the Edge build does:
              user-data             -> /files-iso/config.yaml
              content-*/*.zst       -> /opt/spectrocloud/content/<file>.zst_partNN
                                       (3 GB parts)
              EDGE_CUSTOM_CONFIG    -> /.edge_custom_config.yaml
              CLUSTERCONFIG         -> /opt/spectrocloud/clusterconfig/spc.tgz

            The base ISO's boot setup (El Torito BIOS/UEFI, MBR/GPT, volume id) is replayed by \
            xorriso and checked unchanged afterwards. Writes OUTPUT/<ISO_NAME>.iso and \
            OUTPUT/<ISO_NAME>.iso.sha256 (sha256sum -c format) through temporary files: a failed \
            build leaves nothing under the final names. With SOURCE_DATE_EPOCH set, the same inputs \
            give a byte-identical ISO.

            Examples:
              edgeflash build iso --base-iso base.iso --user-data user-data
              SOURCE_DATE_EPOCH=1700000000 edgeflash build iso --base-iso base.iso \\
                  --content content-3f1a --output build

            Needs xorriso. Exit status: 0 written, 6 invalid input, 5 I/O error (e.g. disk full), \
            130 interrupted (nothing written, temporary files removed).
            """
    )

    @OptionGroup var inputs: BuildInputOptions

    @Option(name: .customLong("base-iso"), help: "The base installer ISO to stage from.")
    var baseISO: String

    @Option(name: .customLong("content"), help: "A content-* directory, or one holding them (repeatable; default: content-* beside .arg).")
    var contentDirectories: [String] = []

    @Option(help: "Where <ISO_NAME>.iso and its .sha256 are written.")
    var output: String = "build"

    @Option(name: .customLong("content-part-size"), help: .hidden)
    var contentPartSize: Int64 = ISOStagingPlan.defaultPartSize

    @Flag(help: "Print one JSON object (stable schema) instead of text.")
    var json = false

    func run() async throws {
        var planInputs = inputs.planInputs
        planInputs.forImages = false
        let plan = BuildPlan.make(planInputs)
        BuildIssuePrinter.print(plan.issues)
        if plan.issues.hasErrors { throw EdgeError.invalidInputs(plan.issues) }
        guard contentPartSize > 0 else { throw ValidationError("--content-part-size must be positive") }

        let arguments = plan.arguments
        let directories = contentDirectories.isEmpty ? ContentBundles.besideArg(plan.validator.baseDirectory) : contentDirectories
        let staging = ISOStagingPlan(
            userData: plan.userDataPath,
            contentBundles: try ContentBundles.find(in: directories),
            edgeCustomConfig: plan.buildContextFiles["EDGE_CUSTOM_CONFIG"],
            clusterConfig: plan.buildContextFiles["CLUSTERCONFIG"],
            partSize: contentPartSize)
        if plan.userDataPath == nil {
            Terminal.writeStderr("edgeflash: warning: no user-data given or found beside .arg; the ISO gets no /files-iso/config.yaml\n")
        }
        let epoch = try sourceDateEpoch()
        let stager = try ISOStager.locate { Terminal.writeStderr("edgeflash: \($0)\n") }
        let result = try stager.stage(.init(baseISO: baseISO, outputDirectory: output, isoName: arguments.isoName,
                                            plan: staging, sourceDateEpoch: epoch))
        if json {
            JSONLines.emit(result)
        } else {
            for mapping in result.files {
                print("  \(mapping.isoPath)  <- \(mapping.source)" + (mapping.range.map { " [\($0.offset)+\($0.count)]" } ?? ""))
            }
            print("Wrote \(result.iso) (\(result.size) bytes, volume id \(result.volumeID))")
            print("Wrote \(result.checksumFile): \(result.sha256)")
            if result.droppedHFSPlus { print("Note: the base ISO's HFS+/APM Mac hybrid was not kept (xorriso cannot re-lay it).") }
        }
    }

    private func sourceDateEpoch() throws -> Int64? {
        guard let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], !text.isEmpty else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw EdgeError(.malformed, "SOURCE_DATE_EPOCH is not a number of seconds since 1970")
        }
        return value
    }
}
