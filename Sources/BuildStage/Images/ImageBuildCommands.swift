/// The exact engine commands that build (and push) the provider image matrix. Pure.
public struct ImageBuildCommands: Sendable {
    /// One image: its build command and, when pushing, its push command.
    public struct Step: Sendable, Codable, Equatable {
        public var image: ProviderImage
        public var build: [String]
        public var push: [String]?
    }

    /// Build arguments passed to every image: the resolved `.arg` values (defaults included) except
    /// the per-image K8S_VERSION, which is set for each.
    public static func buildArguments(_ arguments: BuildArguments, k8sVersion: String) -> [(String, String)] {
        var values = arguments.values.mapValues(\.value)
        values["K8S_VERSION"] = k8sVersion
        return values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    public static func steps(_ plan: [ProviderImage], arguments: BuildArguments, engine: ContainerEngine, push: Bool,
                             context: String, dockerfile: String) -> [Step] {
        plan.map { image in
            var build = [engine.rawValue] + engine.buildVerb + ["--platform", "linux/\(arguments.arch)"]
            for (key, value) in buildArguments(arguments, k8sVersion: image.k8sVersion) {
                build += ["--build-arg", "\(key)=\(value)"]
            }
            build += ["--tag", image.reference, "--file", dockerfile, context]
            return Step(image: image, build: build, push: push ? [engine.rawValue, "push", image.reference] : nil)
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
