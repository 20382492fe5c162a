import EdgeCore

/// The container engines `build images` can drive, and how each spells build and push.
public enum ContainerEngine: String, Sendable, CaseIterable, Codable {
    case docker, podman, buildah

    var buildVerb: [String] { self == .buildah ? ["bud"] : ["build"] }

    /// A command that fails quickly when the engine cannot build (e.g. docker's CLI without a daemon).
    public var probe: [String] {
        switch self {
        case .docker: ["info", "--format", "{{.ServerVersion}}"]
        case .podman: ["info", "--format", "{{.Version.Version}}"]
        case .buildah: ["version"]
        }
    }

    /// docker when its daemon answers, else podman, else buildah, else a docker CLI without a
    /// daemon (whose preflight then says to start it); nil when none is on PATH.
    public static func detect(find: (String) -> String? = { ChildProcess.find($0) },
                              dockerAnswers: (String) -> Bool = { (try? ChildProcess.run($0, ContainerEngine.docker.probe))?.succeeded == true })
        -> ContainerEngine? {
        let docker = find(docker.rawValue)
        if let docker, dockerAnswers(docker) { return .docker }
        return [.podman, .buildah].first { find($0.rawValue) != nil } ?? (docker == nil ? nil : .docker)
    }
}
