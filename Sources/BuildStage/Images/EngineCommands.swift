import Foundation

/// The command lines one engine runs to pull, build and push, with what differs between engines in
/// one place: buildah's `bud`, chroot isolation, plain HTTP for loopback registries. Pure.
public struct EngineCommands: Sendable, Equatable {
    public var engine: ContainerEngine
    public var arch: String
    /// buildah and podman: RUN steps under `--isolation chroot` (their default OCI runtime cannot run
    /// on some hosts, e.g. with a mixed cgroup setup).
    public var chrootIsolation: Bool

    public init(engine: ContainerEngine, arch: String, chrootIsolation: Bool = false) {
        self.engine = engine
        self.arch = arch
        self.chrootIsolation = chrootIsolation
    }

    /// `--tls-verify=false` for a loopback registry with buildah and podman; docker needs nothing.
    func transport(_ reference: String) -> [String] {
        engine == .docker ? [] : RegistryHost.plainHTTPFlags(reference: reference)
    }

    public func pull(_ reference: String) -> [String] {
        let platform = engine == .docker ? ["--platform", "linux/\(arch)"] : ["--arch", arch, "--os", "linux"]
        return [engine.rawValue, "pull"] + transport(reference) + platform + [reference]
    }

    /// A build of `file` in `context`. Images are pulled beforehand (each with its own registry's
    /// transport), so buildah and podman never reach a registry while building. `output`: the last
    /// stage's files are written there, uncached (the systemd probe, whose RUN must really run:
    /// it is also how chroot isolation is found to be needed).
    public func build(file: String, context: String, tag: String?, arguments: [(String, String)] = [],
                      output: String? = nil) -> [String] {
        var command = [engine.rawValue] + engine.buildVerb
        if engine != .docker {
            if chrootIsolation { command += ["--isolation", "chroot"] }
            // --force-rm: a failed build's working container is removed too (buildah keeps it,
            // mounted, by default).
            command += ["--pull=never", "--layers", "--force-rm"]
        }
        command += ["--platform", "linux/\(arch)"]
        for (key, value) in arguments { command += ["--build-arg", "\(key)=\(value)"] }
        if let tag { command += ["--tag", tag] }
        if let output {
            command += ["--no-cache", "--output", "type=local,dest=\(output)"]
            if let idFile = imageIDFile(output: output) { command += ["--iidfile", idFile] }
        }
        return command + ["--file", file, context]
    }

    /// Where buildah and podman name the image a build to `output` commits anyway (unnamed, so
    /// nothing else would ever remove it); nil for docker, whose BuildKit keeps none.
    public func imageIDFile(output: String) -> String? { engine == .docker ? nil : output + ".image-id" }

    public func removeImage(_ id: String) -> [String] { [engine.rawValue, "rmi", id] }

    /// buildah and podman write the pushed manifest's digest to `digestFile`; docker prints it.
    public func push(_ reference: String, digestFile: String) -> [String] {
        engine == .docker ? ["docker", "push", reference]
            : [engine.rawValue, "push"] + transport(reference) + ["--digestfile", digestFile, reference]
    }

    /// Writes the local image `reference` to the archive `file`, and the source text
    /// `build iso --from-image` reads it back with: an OCI archive from buildah and podman, a
    /// docker archive from docker (the only kind `docker save` makes).
    public func save(_ reference: String, to file: String) -> (command: [String], source: String) {
        switch engine {
        case .buildah: (["buildah", "push", reference, "oci-archive:\(file)"], "oci-archive:\(file)")
        case .podman: (["podman", "save", "--format", "oci-archive", "--output", file, reference], "oci-archive:\(file)")
        case .docker: (["docker", "save", "--output", file, reference], "docker-archive:\(file)")
        }
    }

    /// A command as a shell line, each word quoted when needed, proxy passwords redacted.
    public static func display(_ command: [String]) -> String {
        command.map { word in
            var shown = word
            if let equals = word.firstIndex(of: "="), word.contains("://") {
                shown = String(word[...equals]) + ProxyURL.redacted(String(word[word.index(after: equals)...]))
            }
            let safe = shown.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:=@,+%".contains($0)) }
            return safe && !shown.isEmpty ? shown : "'" + shown.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
