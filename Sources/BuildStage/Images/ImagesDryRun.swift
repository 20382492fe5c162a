import Foundation

/// `build images --dry-run`: every command and Containerfile the real run would use, in its order,
/// with the two things only the real run can know said where they apply (the probe's answer, and
/// chroot isolation for buildah/podman). Pure.
public struct ImagesDryRun: Sendable, Encodable {
    public struct Image: Sendable, Encodable {
        public var reference: String
        /// nil for the iso-image.
        public var k8sVersion: String?
        public var pull: [String]
        public var build: String
        public var push: String?
        public var containerfile: String
    }

    public var engine: ContainerEngine
    public var jobs: Int
    public var pulls: [String]
    public var probe: String
    public var probeContainerfile: String
    public var base: String
    public var baseTag: String
    public var baseContainerfile: String
    public var pullsWhenBaked: [String]
    public var pullsAlways: [String]
    public var images: [Image]
    /// The iso-image, unless `--no-iso-image`.
    public var isoImage: Image?
    public var notes: [String]
    /// nil until the probe runs, unless BUNDLE_K8S_AND_AGENT_PROVIDER=true.
    public var bakesKubernetes: Bool?

    public init(_ composition: ImageComposition, images: [ProviderImage], isoImage: Bool, engine: ContainerEngine,
                context: String, workDirectory: String, push: Bool, jobs: Int) {
        let commands = EngineCommands(engine: engine, arch: composition.arguments.arch)
        let path = { (name: String) in (workDirectory as NSString).appendingPathComponent(name) }
        self.engine = engine
        self.jobs = jobs
        let sources = composition.sources
        pulls = [EngineCommands.display(commands.pull(sources.base))]
        probe = EngineCommands.display(commands.build(file: path("probe.Containerfile"), context: path("probe-context"),
                                                      tag: nil, output: path("probe-output")))
        probeContainerfile = composition.probeContainerfile
        baseTag = composition.baseTag
        base = EngineCommands.display(commands.build(file: path("base.Containerfile"), context: context, tag: composition.baseTag,
                                                     arguments: composition.baseBuildArguments))
        baseContainerfile = composition.baseContainerfile
        pullsAlways = [sources.stylus, sources.thirdParty, sources.alpine].map { EngineCommands.display(commands.pull($0)) }
        pullsWhenBaked = [EngineCommands.display(commands.pull(sources.provider))]
        let bakes = composition.bakesKubernetes(systemdVersion: nil)
        bakesKubernetes = bakes
        func image(_ reference: String, k8sVersion: String?, pull: [String], containerfile: String) -> Image {
            let name = ImageBuilder.fileName(reference)
            return Image(reference: reference, k8sVersion: k8sVersion, pull: pull,
                         build: EngineCommands.display(commands.build(file: path(name + ".Containerfile"), context: context, tag: reference)),
                         push: push ? EngineCommands.display(commands.push(reference, digestFile: path(name + ".digest"))) : nil,
                         containerfile: containerfile)
        }
        self.images = images.map {
            let payload = sources.k8sPayload(composition.arguments, k8sVersion: $0.k8sVersion)
            return image($0.reference, k8sVersion: $0.k8sVersion,
                         pull: bakes == false ? [] : [EngineCommands.display(commands.pull(payload))],
                         containerfile: composition.providerContainerfile($0, bakes: bakes))
        }
        self.isoImage = isoImage ? image(ProviderImageMatrix.isoImageReference(composition.arguments), k8sVersion: nil, pull: [],
                                         containerfile: composition.isoImageContainerfile) : nil
        notes = []
        if bakes == nil {
            notes.append("The probe reads the base's systemd version: older than \(ImageComposition.systemdExtensionsVersion) bakes the Kairos provider and the Kubernetes payload in (the lines marked below, and their pulls); \(ImageComposition.systemdExtensionsVersion) or newer leaves them out.")
        }
        if engine != .docker {
            notes.append("When \(engine.rawValue)'s default OCI runtime cannot run the probe's RUN here, every build gets --isolation chroot.")
        }
        notes.append("The luet package image is taken by its tag in the luet repository (NAME-CATEGORY-VERSION); luet's own index and package dependencies are not read.")
    }

    public var text: String {
        var out = notes.map { "# \($0)\n" }.joined()
        out += "# engine \(engine.rawValue), \(jobs) version(s) at a time\n"
        out += pulls.map { $0 + "\n" }.joined()
        out += probe + "\n" + Self.file("probe.Containerfile", probeContainerfile)
        out += base + "\n" + Self.file("base.Containerfile", baseContainerfile)
        out += pullsAlways.map { $0 + "\n" }.joined()
        let whenBaked = bakesKubernetes == nil ? "   # when baked\n" : "\n"
        out += pullsWhenBaked.map { $0 + whenBaked }.joined()
        for image in images + (isoImage.map { [$0] } ?? []) {
            out += image.pull.map { $0 + whenBaked }.joined()
            out += image.build + "\n" + Self.file("\(image.reference) Containerfile", image.containerfile)
            if let push = image.push { out += push + "\n" }
        }
        return out
    }

    static func file(_ name: String, _ text: String) -> String {
        "# ---- \(name) ----\n" + text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "#   \($0)\n" }.joined()
    }
}
