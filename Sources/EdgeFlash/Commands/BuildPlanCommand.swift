import ArgumentParser
import BuildStage
import EdgeCore
import Foundation

struct BuildPlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Validate .arg, k8s_version.json and user-data; show the provider images and the pack manifest.",
        discussion: """
            Every problem is reported at once as FILE:LINE: error|warning: message (allowed: ...). \
            Unknown arguments are warnings with a "did you mean" suggestion. Options edgeflash does \
            not build (IS_UKI, FIPS_ENABLED, TWO_NODE, GPU driver pre-install, IS_MAAS, cloud \
            images) are errors saying what to use instead. The Dockerfile beside .arg is checked \
            too: a package install that would stop at a prompt (apt-get install without -y, zypper \
            install without --non-interactive, yum/dnf without -y) is an error; a change above \
            CanvOS's "Add any other image customizations here" line is a warning. Every image \
            `build images` would pull and every tag it would push is listed. Without K8S_VERSION, \
            one provider image is planned per version k8s_version.json lists for K8S_DISTRIBUTION. \
            The BYOOS pack manifest is printed and written to OUTPUT/pack-manifest.yaml.

            Examples:
              edgeflash build plan
              edgeflash build plan --arg site/.arg --k8s-versions k8s_version.json \\
                  --pe-version v4.4.12
              edgeflash build plan --json | jq -r '.images[].reference'

            Exit status: 0 valid, 6 invalid input (every problem listed on stderr).
            """
    )

    @OptionGroup var inputs: BuildInputOptions

    @Option(help: "Where the pack manifest is written.")
    var output: String = "build"

    @Flag(help: "Print one JSON object (stable schema) instead of text.")
    var json = false

    func run() async throws {
        let plan = BuildPlan.make(inputs.planInputs)
        var manifestPath: String?
        if !plan.issues.hasErrors {
            let directory = URL(fileURLWithPath: output)
            try OutputDirectory.create(directory)
            let file = directory.appendingPathComponent(PackManifest.fileName)
            try AtomicFile.write(Data(plan.manifest.utf8), to: file)
            manifestPath = file.path
        }
        if json {
            JSONLines.emit(BuildPlanJSON(plan, manifestPath: manifestPath))
        } else {
            BuildIssuePrinter.print(plan.issues)
            if !plan.issues.hasErrors { printText(plan, manifestPath: manifestPath ?? "") }
        }
        if plan.issues.hasErrors { throw EdgeError.invalidInputs(plan.issues) }
    }

    private func printText(_ plan: BuildPlan, manifestPath: String) {
        let arguments = plan.arguments
        print("Provider images (\(plan.images.count), \(arguments.osDistribution) \(arguments.osVersion), \(arguments.k8sDistribution), \(arguments.arch)):")
        for image in plan.images { print("  \(image.reference)") }
        if let isoImage = plan.isoImage { print("ISO image (the installer ISO's root, built next to them): \(isoImage)") }
        print("Images pulled to build them:")
        for pull in plan.pulls {
            let role = pull.role.padding(toLength: 12, withPad: " ", startingAt: 0)
            print("  \(role) \(pull.reference)\(pull.whenBaked ? "  (only if the base's systemd is older than 255)" : "")")
        }
        if !plan.pulls.isEmpty {
            print("  (each k8s-payload is the luet package k8s/DISTRIBUTION@VERSION, pulled by its image tag NAME-CATEGORY-VERSION; luet's index and package dependencies are not read)")
        }
        print("Installer ISO: build/\(arguments.isoName).iso")
        if let userData = plan.userDataPath { print("User-data: \(userData) (valid)") }
        print("Pack manifest (written to \(manifestPath)):")
        print(plan.manifest, terminator: "")
    }
}

extension BuildInputOptions {
    var planInputs: BuildPlan.Inputs {
        BuildPlan.Inputs(argPath: argPath, k8sVersionsPath: k8sVersionsPath, userDataPath: userDataPath, peVersion: peVersion)
    }
}

/// Issues go to stderr, one per line, errors and warnings alike.
enum BuildIssuePrinter {
    static func print(_ issues: [BuildIssue]) {
        for issue in issues { Terminal.writeStderr(issue.formatted + "\n") }
    }
}

/// `build plan --json`: one object; keys are stable. Proxy passwords are redacted.
struct BuildPlanJSON: Encodable {
    var valid: Bool
    var argFile: String
    var arguments: [String: String]
    var issues: [BuildIssue]
    var images: [ProviderImage]
    var isoImage: String?
    var pulls: [ImagePull]
    var isoName: String
    var manifestPath: String?
    var manifest: String?
    var userData: String?

    init(_ plan: BuildPlan, manifestPath: String?) {
        valid = !plan.issues.hasErrors
        argFile = plan.arguments.file
        var arguments: [String: String] = [:]
        for (key, value) in plan.arguments.values { arguments[key] = ProxyURL.redacted(value.value) }
        self.arguments = arguments
        issues = plan.issues
        images = plan.images
        isoImage = plan.isoImage
        pulls = plan.pulls
        isoName = plan.arguments.isoName
        self.manifestPath = manifestPath
        manifest = valid ? plan.manifest : nil
        userData = plan.userDataPath
    }
}
