import EdgeCore
/// The container engines `build images` can drive, and how each spells build and push.
public enum ContainerEngine: String, Sendable, CaseIterable, Codable {
    case docker, podman, buildah

    var buildVerb: [String] { self == .buildah ? ["bud"] : ["build"] }

    /// A command that fails quickly when the engine cannot build (e.g. docker's CLI without a daemon).
    var probe: [String] {
        switch self {
        case .docker: ["info", "--format", "{{.ServerVersion}}"]
        case .podman: ["info", "--format", "{{.Version.Version}}"]
        case .buildah: ["version"]
        }
    }

    /// The first engine found on PATH, in this order of preference.
    public static func detect(find: (String) -> String? = { ChildProcess.find($0) }) -> ContainerEngine? {
        allCases.first { find($0.rawValue) != nil }
    }
}
