import EdgeCore
import Foundation

/// Builds the provider images for real: pulls what the composition names, probes the base's
/// systemd, builds the base once, then each Kubernetes version and the iso-image (`jobs` at a time)
/// and pushes each. A failing image is reported with the end of its log while the others go on.
public struct ImageBuilder: Sendable {
    public struct Outcome: Sendable, Codable, Equatable {
        public var reference: String
        /// nil for the iso-image.
        public var k8sVersion: String?
        public var built = false
        public var pushed = false
        public var digest: String?
        public var error: String?
        /// The version's build log.
        public var log: String
        public var logTail: [String]?
    }

    /// The lines of a failed step's log shown with its failure.
    public static let logTailLines = 20

    public var composition: ImageComposition
    public var images: [ProviderImage]
    /// Build the iso-image too (`ProviderImageMatrix.isoImageReference`), after the versions.
    public var isoImage: Bool
    public var engine: ContainerEngine
    public var executable: String
    /// The build context: the CanvOS checkout.
    public var context: String
    /// Where the Containerfiles and logs go (OUTPUT/images).
    public var workDirectory: URL
    public var push: Bool
    public var jobs: Int
    /// Proxy passwords: kept out of every log line shown.
    public var scrubber: SecretScrubber
    public var children: ChildGroup
    public var events: @Sendable (ImageEvent) -> Void

    public init(composition: ImageComposition, images: [ProviderImage], isoImage: Bool, engine: ContainerEngine,
                executable: String, context: String, workDirectory: URL, push: Bool, jobs: Int, scrubber: SecretScrubber,
                children: ChildGroup, events: @escaping @Sendable (ImageEvent) -> Void) {
        self.composition = composition
        self.images = images
        self.isoImage = isoImage
        self.engine = engine
        self.executable = executable
        self.context = context
        self.workDirectory = workDirectory
        self.push = push
        self.jobs = max(1, jobs)
        self.scrubber = scrubber
        self.children = children
        self.events = events
    }

    /// Checks up front what the builds need, so nothing starts when something is missing.
    public static func preflight(engine: ContainerEngine, context: String, dockerfile: String) throws -> String {
        guard let path = ChildProcess.find(engine.rawValue) else {
            let present = ContainerEngine.allCases.filter { ChildProcess.find($0.rawValue) != nil }.map(\.rawValue)
            throw EdgeError(.failure, "\(engine.rawValue) is not installed (not on PATH); building provider images needs a container engine", hint: present.isEmpty ? "install docker, podman or buildah, or use --dry-run to see what would be built"
                                                        : "found \(present.joined(separator: ", ")): pass --builder \(present[0])")
        }
        let probe = try ChildProcess.run(path, engine.probe)
        if !probe.succeeded {
            let reason = probe.stderr.split(separator: "\n").first.map(String.init) ?? probe.outcome
            throw EdgeError(.failure, "\(engine.rawValue) is installed but cannot build: \(reason)", hint: engine == .docker ? "start the Docker daemon (or use --builder podman), or use --dry-run"
                                                          : "check `\(engine.rawValue) \(engine.probe.joined(separator: " "))`, or use --dry-run")
        }
        if let problem = FileState.of(dockerfile).problem {
            throw EdgeError(.malformed, "Dockerfile \(dockerfile) \(problem)",
                            hint: "run from a CanvOS checkout or pass --context and --file")
        }
        if FileState.of(context) != .directory {
            throw EdgeError(.malformed, "build context \(context) is not a directory",
                            hint: "pass --context DIR (a CanvOS checkout)")
        }
        return path
    }

    /// The shared steps (pulls, probe, base) throw: without them no version can build. Per-version
    /// failures are outcomes. Throws `.interrupted` once `children` was stopped.
    public func run() async throws -> [Outcome] {
        try OutputDirectory.create(workDirectory.appendingPathComponent("logs"))
        let sharedLog = logURL("base")
        try? FileManager.default.removeItem(at: sharedLog)
        var commands = EngineCommands(engine: engine, arch: composition.arguments.arch)

        try await pull(composition.sources.base, log: sharedLog)
        let systemd = try await probe(&commands, log: sharedLog)
        let bakes = composition.bakesKubernetes(systemdVersion: systemd) ?? true
        events(ImageEvent(.probed, reference: composition.sources.base,
                          message: "systemd \(systemd): Kubernetes and the agent provider \(bakes ? "baked into" : "left out of") the images"))

        let baseFile = try write(composition.baseContainerfile, "base.Containerfile")
        events(ImageEvent(.building, reference: composition.baseTag))
        try await shared(commands.build(file: baseFile.path, context: context, tag: composition.baseTag,
                                        arguments: composition.baseBuildArguments), log: sharedLog, reference: composition.baseTag)
        events(ImageEvent(.built, reference: composition.baseTag))

        var pulls = [composition.sources.stylus, composition.sources.thirdParty, composition.sources.alpine]
        if bakes { pulls.append(composition.sources.provider) }
        for reference in pulls { try await pull(reference, log: sharedLog) }

        // The iso-image needs only the base and the stylus image, both there by now: it is one more
        // job in the queue, after the versions.
        let commandsForImages = commands
        let count = images.count + (isoImage ? 1 : 0)
        return await withTaskGroup(of: (Int, Outcome).self) { group in
            var results = [Outcome?](repeating: nil, count: count)
            var next = 0
            func start(_ index: Int) {
                group.addTask {
                    (index, index < images.count ? await self.buildVersion(images[index], bakes: bakes, commands: commandsForImages)
                                                 : await self.buildISOImage(commands: commandsForImages))
                }
            }
            while next < min(jobs, count) { start(next); next += 1 }
            for await (index, outcome) in group {
                results[index] = outcome
                if next < count { start(next); next += 1 }
            }
            return results.compactMap { $0 }
        }
    }

    /// Pull the version's payload (when baked), build, push. Never throws: a failure is its outcome.
    func buildVersion(_ image: ProviderImage, bakes: Bool, commands: EngineCommands) async -> Outcome {
        var job = Job(self, reference: image.reference, k8sVersion: image.k8sVersion)
        if bakes {
            let payload = composition.sources.k8sPayload(composition.arguments, k8sVersion: image.k8sVersion)
            events(ImageEvent(.pulling, reference: payload))
            let pulled = await execute(commands.pull(payload), log: job.log)
            guard pulled.succeeded else { return job.fail(pulled) }
        }
        return await job.buildAndPush(composition.providerContainerfile(image, bakes: bakes), commands: commands)
    }

    /// The iso-image: build, push. Never throws: a failure is its outcome.
    func buildISOImage(commands: EngineCommands) async -> Outcome {
        var job = Job(self, reference: ProviderImageMatrix.isoImageReference(composition.arguments), k8sVersion: nil)
        return await job.buildAndPush(composition.isoImageContainerfile, commands: commands)
    }

    /// One image's build and push, its log and outcome.
    struct Job {
        let builder: ImageBuilder
        var outcome: Outcome
        var log: URL
        var reference: String { outcome.reference }

        init(_ builder: ImageBuilder, reference: String, k8sVersion: String?) {
            self.builder = builder
            log = builder.logURL(reference)
            try? FileManager.default.removeItem(at: log)
            outcome = Outcome(reference: reference, k8sVersion: k8sVersion, log: log.path)
        }

        mutating func fail(_ step: Step) -> Outcome {
            outcome.error = step.failure
            outcome.logTail = step.tail
            builder.events(ImageEvent(.failed, reference: reference, message: step.failure, log: log.path, logTail: step.tail))
            return outcome
        }

        mutating func buildAndPush(_ containerfile: String, commands: EngineCommands) async -> Outcome {
            let file: URL
            do {
                file = try builder.write(containerfile, ImageBuilder.fileName(reference) + ".Containerfile")
            } catch {
                outcome.error = "\(error)"
                return outcome
            }
            builder.events(ImageEvent(.building, reference: reference))
            let built = await builder.execute(commands.build(file: file.path, context: builder.context, tag: reference), log: log)
            guard built.succeeded else { return fail(built) }
            outcome.built = true
            builder.events(ImageEvent(.built, reference: reference))
            guard builder.push else { return outcome }

            builder.events(ImageEvent(.pushing, reference: reference))
            let digestFile = builder.workDirectory.appendingPathComponent(ImageBuilder.fileName(reference) + ".digest")
            try? FileManager.default.removeItem(at: digestFile)
            let pushed = await builder.execute(commands.push(reference, digestFile: digestFile.path), log: log)
            guard pushed.succeeded else { return fail(pushed) }
            let digest = builder.engine == .docker ? ImageBuilder.dockerDigest(pushed.output)
                : (try? String(contentsOf: digestFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            try? FileManager.default.removeItem(at: digestFile)
            outcome.pushed = true
            outcome.digest = digest
            builder.events(ImageEvent(.pushed, reference: reference, digest: digest))
            return outcome
        }
    }

    /// Reads the base's systemd version. Its RUN is the first step that runs a container, so it also
    /// finds whether buildah/podman need chroot isolation here, and says so once.
    func probe(_ commands: inout EngineCommands, log: URL) async throws -> Int {
        let file = try write(composition.probeContainerfile, "probe.Containerfile")
        let output = workDirectory.appendingPathComponent("probe-output")
        let emptyContext = workDirectory.appendingPathComponent("probe-context")
        try OutputDirectory.create(emptyContext)
        func attempt(_ commands: EngineCommands) async -> Step {
            try? FileManager.default.removeItem(at: output)
            let step = await execute(commands.build(file: file.path, context: emptyContext.path, tag: nil, output: output.path), log: log)
            // The answer is in `output`; the unnamed image buildah and podman committed goes, or
            // every run would leave one behind.
            if let idFile = commands.imageIDFile(output: output.path),
               let id = try? String(contentsOfFile: idFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) {
                try? FileManager.default.removeItem(atPath: idFile)
                if !id.isEmpty { _ = await execute(commands.removeImage(id), log: log) }
            }
            return step
        }
        var step = await attempt(commands)
        if !step.succeeded && engine != .docker && !children.isStopped {
            var chroot = commands
            chroot.chrootIsolation = true
            let retry = await attempt(chroot)
            if retry.succeeded {
                commands = chroot
                events(ImageEvent(.isolation, message: "\(engine.rawValue)'s default OCI runtime cannot run containers here (\(step.firstError)); building with --isolation chroot"))
            }
            step = retry
        }
        let answer = try? String(contentsOf: output.appendingPathComponent(ImageComposition.probeFileName), encoding: .utf8)
        if engine == .docker, !children.isStopped, !step.succeeded || answer == nil,
           let missing = DockerBuildKit.missing(step.output, dockerBuildKit: ProcessInfo.processInfo.environment["DOCKER_BUILDKIT"]) {
            throw missing
        }
        try check(step, reference: composition.sources.base, what: "systemd probe of")
        // A build that wrote no answer must not read as "no systemd": that would leave Kubernetes out.
        guard let answer else {
            throw EdgeError(.failure, "the systemd probe of \(composition.sources.base) wrote no answer to \(output.path)",
                            hint: "its build log is \(log.path)")
        }
        return Int(answer.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    func pull(_ reference: String, log: URL) async throws {
        events(ImageEvent(.pulling, reference: reference))
        try await shared(EngineCommands(engine: engine, arch: composition.arguments.arch).pull(reference), log: log, reference: reference)
    }

    func shared(_ command: [String], log: URL, reference: String) async throws {
        try check(await execute(command, log: log), reference: reference, what: "")
    }

    /// A shared step failed: every version needs it, so the run stops here.
    func check(_ step: Step, reference: String, what: String) throws {
        if children.isStopped { throw EdgeError(.interrupted, "interrupted: the engine was stopped") }
        guard !step.succeeded else { return }
        let target = what.isEmpty ? reference : "\(what) \(reference)"
        events(ImageEvent(.failed, reference: reference, message: step.failure, log: step.log, logTail: step.tail))
        throw EdgeError(.failure, "\(target): \(step.failure); no provider image can be built without it",
                        hint: "the last lines of \(step.log) are above")
    }

    /// What one engine command did.
    struct Step: Sendable {
        var command: [String]
        var result: ChildProcess.Result?
        var output: String
        var log: String
        var succeeded: Bool { result?.succeeded ?? false }
        var tail: [String] {
            Array(output.split(separator: "\n", omittingEmptySubsequences: true).suffix(ImageBuilder.logTailLines).map(String.init))
        }
        var failure: String {
            "\(command.prefix(2).joined(separator: " ")) \(result?.outcome ?? "could not start")"
        }
        /// Why the OCI runtime refused (crun ends its line with the reason), else the first line
        /// that reads like an error: for the one-line isolation notice.
        var firstError: String {
            let lines = output.split(separator: "\n")
            if let line = lines.first(where: { $0.contains("creating container for [") }), let reason = line.range(of: "]: ") {
                return String(line[reason.upperBound...].prefix(160))
            }
            return lines.first { $0.contains("rror") }.map { String($0.prefix(160)) } ?? failure
        }
    }

    /// Runs one engine command on its own thread (the build's waits block), appending all it
    /// printed to `log`. Never throws.
    func execute(_ command: [String], log: URL) async -> Step {
        let executable = executable, children = children, scrubber = scrubber
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var step = Step(command: command, result: nil, output: "", log: log.path)
                if !children.isStopped {
                    do {
                        let result = try ChildProcess.run(executable, Array(command.dropFirst()), captureLimit: 4 << 20,
                                                          mergeOutput: true, started: children.started)
                        step.result = result
                        step.output = scrubber.scrub(result.stdout)
                    } catch {
                        step.output = scrubber.scrub("\(error)")
                    }
                }
                Self.append("$ \(EngineCommands.display(command))\n\(step.output)\n", to: log)
                continuation.resume(returning: step)
            }
        }
    }

    static func append(_ text: String, to url: URL) {
        if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        guard let handle = try? FileHandle(forWritingTo: url) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data(text.utf8))
    }

    func write(_ text: String, _ name: String) throws -> URL {
        let url = workDirectory.appendingPathComponent(name)
        try AtomicFile.write(Data(text.utf8), to: url)
        return url
    }

    func logURL(_ name: String) -> URL {
        workDirectory.appendingPathComponent("logs").appendingPathComponent(Self.fileName(name) + ".log")
    }

    /// A reference as a file name: `/` and `:` become `_`.
    static func fileName(_ reference: String) -> String {
        String(reference.map { $0 == "/" || $0 == ":" ? "_" : $0 })
    }

    /// `docker push` ends with `TAG: digest: sha256:... size: N`.
    static func dockerDigest(_ output: String) -> String? {
        guard let range = output.range(of: #"digest: sha256:[0-9a-f]{64}"#, options: .regularExpression) else { return nil }
        return String(output[range].dropFirst("digest: ".count))
    }
}
