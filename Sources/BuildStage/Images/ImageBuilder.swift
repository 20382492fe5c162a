import EdgeCore
import Foundation

/// Runs the image build steps with at most `jobs` at a time; each image's push follows its build.
public struct ImageBuilder: Sendable {
    public struct Outcome: Sendable, Codable {
        public var reference: String
        public var built: Bool
        public var pushed: Bool
        public var error: String?
    }

    public var jobs: Int
    public var progress: @Sendable (String) -> Void

    public init(jobs: Int, progress: @escaping @Sendable (String) -> Void) {
        self.jobs = max(1, jobs)
        self.progress = progress
    }

    /// Checks up front what the builds need, so nothing starts when something is missing.
    public static func preflight(engine: ContainerEngine, context: String, dockerfile: String) throws -> String {
        guard let path = ChildProcess.find(engine.rawValue) else {
            let present = ContainerEngine.allCases.filter { ChildProcess.find($0.rawValue) != nil }.map(\.rawValue)
            throw EdgeError(.failure, "\(engine.rawValue) is not installed (not on PATH); building provider images needs a container engine", hint: present.isEmpty ? "install docker, podman or buildah, or use --dry-run to see the commands"
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

    public func run(_ steps: [ImageBuildCommands.Step], executable: String) async -> [Outcome] {
        await withTaskGroup(of: (Int, Outcome).self) { group in
            var results = [Outcome?](repeating: nil, count: steps.count)
            var next = 0
            func start(_ index: Int) {
                let step = steps[index]
                let progress = self.progress
                group.addTask {
                    progress("building \(step.image.reference)")
                    return (index, Self.perform(step, executable: executable, progress: progress))
                }
            }
            while next < min(jobs, steps.count) { start(next); next += 1 }
            for await (index, outcome) in group {
                results[index] = outcome
                if next < steps.count { start(next); next += 1 }
            }
            return results.compactMap { $0 }
        }
    }

    static func perform(_ step: ImageBuildCommands.Step, executable: String, progress: @Sendable (String) -> Void) -> Outcome {
        var outcome = Outcome(reference: step.image.reference, built: false, pushed: false, error: nil)
        func runStep(_ command: [String]) -> Bool {
            do {
                let output = try ChildProcess.run(executable, Array(command.dropFirst()))
                if output.succeeded { return true }
                outcome.error = "\(command.prefix(2).joined(separator: " ")) \(output.outcome): "
                    + output.stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            } catch {
                outcome.error = "\(error)"
            }
            return false
        }
        guard runStep(step.build) else { return outcome }
        outcome.built = true
        if let push = step.push {
            progress("pushing \(step.image.reference)")
            outcome.pushed = runStep(push)
        }
        return outcome
    }
}
