import Foundation

/// Everything `build plan` shows: the validated arguments, every problem, the provider images and
/// the pack manifest. Made by reading the input files once; nothing is built or written here.
public struct BuildPlan: Sendable {
    public struct Inputs: Sendable {
        public var argPath: String
        var argPathIsDefault: Bool
        /// nil: `k8s_version.json` beside `.arg`, when there is one.
        public var k8sVersionsPath: String?
        /// nil: `user-data` beside `.arg`, when there is one.
        public var userDataPath: String?
        public var peVersion: String?
        /// The CanvOS checkout's Dockerfile to check; nil: `Dockerfile` beside `.arg`, when there is one.
        public var dockerfilePath: String?
        public var environment: [String: String]
        /// false for `build iso`: K8S_VERSION, PE_VERSION and k8s_version.json are not needed, and a
        /// missing default `.arg` means CanvOS's defaults.
        public var forImages: Bool

        public init(argPath: String? = nil, k8sVersionsPath: String? = nil, userDataPath: String? = nil,
                    peVersion: String? = nil, forImages: Bool = true,
                    environment: [String: String] = ProcessInfo.processInfo.environment) {
            self.forImages = forImages
            self.argPath = argPath ?? ".arg"
            argPathIsDefault = argPath == nil
            self.k8sVersionsPath = k8sVersionsPath
            self.userDataPath = userDataPath
            self.peVersion = peVersion
            self.environment = environment
        }
    }

    public var arguments: BuildArguments
    public var k8sVersions: K8sVersionTable?
    public var issues: [BuildIssue]
    public var images: [ProviderImage]
    /// The iso-image's reference (`build images` pushes it next to `images`); nil when there are none.
    public var isoImage: String?
    /// Every image `build images` pulls to build `images`.
    public var pulls: [ImagePull]
    public var userData: UserDataReport?
    /// The user-data file that was validated (explicit or found beside `.arg`).
    public var userDataPath: String?
    public var validator: ArgValidator
    /// CLUSTERCONFIG and EDGE_CUSTOM_CONFIG by key, resolved inside the `.arg`'s directory with
    /// symlinks followed; a refused one is absent (its problem is among `issues`).
    public var buildContextFiles: [String: String]

    public var manifest: String { PackManifest.yaml(arguments) }

    public static func make(_ inputs: Inputs) -> BuildPlan {
        let baseDirectory = (inputs.argPath as NSString).deletingLastPathComponent
        let validator = ArgValidator(baseDirectory: baseDirectory.isEmpty ? "." : baseDirectory,
                                     checksImageArguments: inputs.forImages)
        var issues: [BuildIssue] = []

        let argMissingIsFine = !inputs.forImages && inputs.argPathIsDefault && FileState.of(inputs.argPath) == .missing
        let argText = argMissingIsFine ? Data() : InputFile.read(inputs.argPath, what: "build arguments", issues: &issues)
        let argFile = ArgFile.parse(argText.map { String(decoding: $0, as: UTF8.self) } ?? "",
                                    file: inputs.argPath, environment: inputs.environment)
        let arguments = BuildArguments(argFile, peVersionOverride: inputs.peVersion)

        var table: K8sVersionTable?
        let besideArg = validator.resolve("k8s_version.json")
        let k8sPath = inputs.k8sVersionsPath ?? (FileState.of(besideArg) == .missing ? nil : besideArg)
        if inputs.forImages, let path = k8sPath,
           let data = InputFile.read(path, what: "Kubernetes versions", issues: &issues) {
            let parsed = K8sVersionTable.parse(data, file: path)
            table = parsed.table
            issues += parsed.issues
        }
        if argText != nil {
            issues += validator.validate(argFile, arguments: arguments, k8sVersions: table,
                                         k8sVersionsUnusable: k8sPath != nil && table == nil)
            if inputs.forImages { issues += UnsupportedOptions.issues(arguments) }
        }
        let dockerfileBeside = validator.resolve("Dockerfile")
        let dockerfilePath = inputs.dockerfilePath ?? (FileState.of(dockerfileBeside) == .missing ? nil : dockerfileBeside)
        if inputs.forImages, let dockerfilePath, let data = InputFile.read(dockerfilePath, what: "Dockerfile", issues: &issues) {
            issues += DockerfileCheck.issues(String(decoding: data, as: UTF8.self), file: dockerfilePath)
        }

        var userData: UserDataReport?
        let userDataBeside = validator.resolve("user-data")
        let userDataPath = inputs.userDataPath ?? (FileState.of(userDataBeside) == .missing ? nil : userDataBeside)
        if let userDataPath, let data = InputFile.read(userDataPath, what: "user-data", issues: &issues) {
            let report = UserDataValidator.validate(data, file: userDataPath)
            userData = report
            issues += report.issues.map {
                BuildIssue($0.severity == .error ? .error : .warning, file: userDataPath, line: $0.line, $0.message)
            }
        }

        var buildContextFiles: [String: String] = [:]
        for key in BuildContextFile.keys where arguments.has(key) {
            if case .success(let path) = validator.buildContextFile(arguments[key]) { buildContextFiles[key] = path }
        }

        issues = BuildIssue.sortedByLocation(issues)
        let images = issues.hasErrors || !inputs.forImages ? [] : ProviderImageMatrix.images(arguments, k8sVersions: table)
        return BuildPlan(arguments: arguments, k8sVersions: table, issues: issues, images: images,
                         isoImage: images.isEmpty ? nil : ProviderImageMatrix.isoImageReference(arguments),
                         pulls: images.isEmpty ? [] : ImagePull.all(arguments, images: images),
                         userData: userData, userDataPath: userDataPath, validator: validator,
                         buildContextFiles: buildContextFiles)
    }
}

/// Reads an input file whole, turning "missing", "a directory", "unreadable" into issues naming it.
public enum InputFile {
    public static func read(_ path: String, what: String, issues: inout [BuildIssue]) -> Data? {
        if let problem = FileState.of(path).problem {
            issues.append(BuildIssue(.error, file: path, "\(what) file \(problem)"))
            return nil
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            issues.append(BuildIssue(.error, file: path, "\(what) file could not be read: \(error.localizedDescription)"))
            return nil
        }
    }
}
