import Crypto
import EdgeCore
import Foundation

/// Reads what the composition needs from the CanvOS checkout (the build context): its Dockerfile,
/// which optional files are there, and the `.arg`'s hash for the image labels.
public enum CanvOSCheckout {
    /// CanvOS's default EDGE_CUSTOM_CONFIG, copied when present.
    static let defaultEdgeCustomConfig = ".edge-custom-config.yaml"

    public static func composition(_ plan: BuildPlan, context: String, dockerfile: String,
                                   edgeflashVersion: String) throws -> ImageComposition {
        let arguments = plan.arguments
        guard let sources = ImageSources(arguments) else {
            throw EdgeError(.malformed, "no base image: OS_DISTRIBUTION \(arguments.osDistribution) needs BASE_IMAGE in \(arguments.file)")
        }
        if let problem = FileState.of(dockerfile).problem {
            throw EdgeError(.malformed, "Dockerfile \(dockerfile) \(problem)", hint: "run from a CanvOS checkout or pass --context and --file")
        }
        if FileState.of(context) != .directory {
            throw EdgeError(.malformed, "build context \(context) is not a directory", hint: "pass --context DIR (a CanvOS checkout)")
        }
        let text = try read(dockerfile)
        let argHash = SHA256.hash(data: (try? Data(contentsOf: URL(fileURLWithPath: arguments.file))) ?? Data())
            .map { String(format: "%02x", $0) }.joined()

        var edgeCustomConfig: String?
        if let resolved = plan.buildContextFiles["EDGE_CUSTOM_CONFIG"] {
            guard let relative = relativePath(resolved, inside: context) else {
                throw EdgeError(.malformed, "EDGE_CUSTOM_CONFIG (\(arguments.file):\(arguments.line("EDGE_CUSTOM_CONFIG") ?? 0)) is outside the build context \(context)",
                                hint: "keep .arg and the files it names in the CanvOS checkout, or pass --context")
            }
            edgeCustomConfig = relative
        } else if !arguments.has("EDGE_CUSTOM_CONFIG"), exists(context, defaultEdgeCustomConfig, .readableFile) {
            edgeCustomConfig = defaultEdgeCustomConfig
        }
        let files = ImageComposition.ContextFiles(
            overlayFiles: exists(context, "overlay/files", .directory),
            overlayEtc: exists(context, "overlay/files/etc", .directory),
            edgeCustomConfig: edgeCustomConfig)
        let composition = ImageComposition(arguments: arguments, sources: sources, contextFiles: files, checkoutDockerfile: text,
                                           edgeflashVersion: edgeflashVersion, argFileSHA256: argHash)
        let missing = composition.requiredContextFiles.filter { !exists(context, $0, .readableFile) }
        if !missing.isEmpty {
            throw EdgeError(.malformed, "the build context \(context) has no \(missing.joined(separator: ", ")), which CanvOS's steps for this .arg copy",
                            hint: "build from a CanvOS checkout (pass --context), or restore the file(s) from CanvOS")
        }
        return composition
    }

    static func read(_ path: String) throws -> String {
        do {
            return String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        } catch {
            throw EdgeError.cannotRead(path, error.localizedDescription)
        }
    }

    static func exists(_ context: String, _ path: String, _ state: FileState) -> Bool {
        FileState.of((context as NSString).appendingPathComponent(path)) == state
    }

    /// `path` relative to `directory` (both resolved), or nil when it is not inside.
    static func relativePath(_ path: String, inside directory: String) -> String? {
        let base = BuildContextFile.realPath(directory) ?? directory
        let real = BuildContextFile.realPath(path) ?? path
        guard real.hasPrefix(base.hasSuffix("/") ? base : base + "/") else { return nil }
        return String(real.dropFirst(base.hasSuffix("/") ? base.count : base.count + 1))
    }
}
