import EdgeCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The root filesystem an image source unpacked to.
public struct UnpackedRoot: Sendable, Equatable {
    /// The directory holding the image's files (for `dir:`, the directory given).
    public var path: String
    /// The image's architecture as its config says (nil for `dir:` or a config that names none).
    public var architecture: String?
    /// The digest of the manifest the source names (for a multi-arch image, the index's), when known.
    public var digest: String?

    public init(path: String, architecture: String?, digest: String?) {
        self.path = path
        self.architecture = architecture
        self.digest = digest
    }
}

/// Turns an image source into a root filesystem directory, with skopeo and umoci:
/// `skopeo inspect` (the platform checked before any layer is fetched), `skopeo copy` to an OCI
/// layout in the caller's scratch directory, `umoci raw unpack` to `scratch/rootfs`.
///
/// Why these two rather than a tar reader of our own: applying layers is where the subtle cases
/// are (`.wh.` whiteouts and opaque directories, hard links across layers, a directory replaced by
/// a file, device nodes, PAX xattrs, setuid bits that a later chown would clear) and umoci is a
/// reference implementation of the OCI image spec's rules for all of them; skopeo speaks every
/// source form (registries with the engines' auth files and TLS settings, multi-arch indexes,
/// docker and OCI archives) and converts docker manifests to OCI. Both are Debian packages the
/// image tests already need. The cost is a copy of the compressed layers in scratch beside the
/// unpacked root (removed once unpacked) and unpacking as root, which keeping the files' owners
/// needs anyway.
public struct RootFSUnpacker: Sendable {
    /// The directory under `scratch` that holds the unpacked root.
    public static let rootDirectoryName = "rootfs"

    /// The running skopeo and umoci, so Ctrl-C can stop them.
    public var children: ChildGroup
    /// One line per step: "pulling ...", "unpacking ... (N layers)".
    public var progress: @Sendable (String) -> Void

    public init(children: ChildGroup = ChildGroup(), progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.children = children
        self.progress = progress
    }

    /// Unpacks `source` for `architecture` ("amd64", "arm64") into `scratch/rootfs` (the caller
    /// owns `scratch` and removes it). TLS is verified except for loopback registries (plain
    /// HTTP, as docker treats them). A `dir:` source is checked and returned as it is. On any failure nothing is left
    /// in `scratch` that could be taken for a root.
    public func unpack(_ source: ImageSourceReference, into scratch: URL, architecture: String) throws(EdgeError) -> UnpackedRoot {
        let name: String
        switch source {
        case .directory(let path): return try Self.existingRoot(path, source: source)
        case .registry(let reference): name = "docker://\(reference)"
        // skopeo's own `dir:` is another format, so only these three are passed through as written.
        case .ociLayout, .ociArchive, .dockerArchive: name = source.description
        }
        try Self.checkLocalInput(source)
        guard geteuid() == 0 else {
            throw EdgeError(.refused, "unpacking \(source) keeps its files' owners and modes, which needs root",
                            hint: "run as root, or unpack the image beforehand and give it as dir:PATH")
        }
        let layout = scratch.appendingPathComponent("oci-layout"), root = scratch.appendingPathComponent(Self.rootDirectoryName)
        let temporary = scratch.appendingPathComponent("skopeo-tmp")
        // A failure removes the root it was making; never one that was there before.
        guard FileState.of(root.path) == .missing else {
            throw EdgeError(.failure, "\(root.path) already exists; the image is unpacked into a fresh scratch directory")
        }
        defer {
            try? FileManager.default.removeItem(at: layout)
            try? FileManager.default.removeItem(at: temporary)
        }
        do {
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        } catch {
            throw EdgeError(.io, "cannot create \(temporary.path): \(error.localizedDescription)")
        }
        do throws(EdgeError) {
            // skopeo's --tmpdir: an archive is extracted there, inside scratch, not in /var/tmp.
            let skopeo = ["--tmpdir", temporary.path]
            let platform = ["--override-os", "linux", "--override-arch", architecture]
            if case .registry = source { progress("pulling \(source) (linux/\(architecture))") } else { progress("reading \(source)") }

            let inspected = try skopeoRun(skopeo + platform + ["inspect", "--no-tags", "--format", ImageInspection.format] + Self.transport(source, option: "--tls-verify") + [name],
                                          verb: "inspect", source: source, architecture: architecture)
            let image = try ImageInspection.parse(inspected, source: source)
            try image.check(architecture: architecture, source: source)

            _ = try skopeoRun(skopeo + platform + ["copy", "--quiet", "--remove-signatures"]
                                + Self.transport(source, option: "--src-tls-verify") + [name, "oci:\(layout.path):image"],
                              verb: "copy", source: source, architecture: architecture)
            progress("unpacking \(source) (\(image.layerCount) layer\(image.layerCount == 1 ? "" : "s"))")
            let unpacked = try run("umoci", ["raw", "unpack", "--image", "\(layout.path):image", root.path])
            guard unpacked.succeeded else {
                let line = ImageToolFailure.essentialLine(unpacked.stderr)
                throw ImageToolFailure.diskFull(line, source: source) ?? EdgeError(.failure, "umoci could not unpack \(source): \(line)")
            }
            return UnpackedRoot(path: root.path, architecture: image.architecture, digest: image.digest)
        } catch {
            try? FileManager.default.removeItem(at: root)
            throw children.isStopped ? EdgeError(.interrupted, "interrupted: the image was not unpacked") : error
        }
    }

    /// Runs skopeo; its stdout, or the error its one essential line means.
    func skopeoRun(_ arguments: [String], verb: String, source: ImageSourceReference, architecture: String) throws(EdgeError) -> String {
        let result = try run("skopeo", arguments)
        guard result.succeeded else {
            throw ImageToolFailure.error(result.stderr, verb: verb, source: source, architecture: architecture)
        }
        return result.stdout
    }

    /// Runs a tool as one of `children`; nothing new starts once they were stopped.
    func run(_ tool: String, _ arguments: [String]) throws(EdgeError) -> ChildProcess.Result {
        if children.isStopped { throw EdgeError(.interrupted, "interrupted: the image was not unpacked") }
        var pid: Int32?
        defer { if let pid { children.ended(pid) } }
        return try ChildProcess.run(tool, arguments, captureLimit: 64 << 10) { started in
            pid = started
            children.started(started)
        }
    }

    /// Loopback registries go over plain HTTP unless TLS was asked for; `asked` decides elsewhere.
    /// nil: skopeo's default (verified TLS). Archives and layouts have no transport.
    static func transport(_ source: ImageSourceReference, option: String) -> [String] {
        guard case .registry(let reference) = source else { return [] }
        return RegistryHost.plainHTTPFlags(reference: reference, option: option)
    }

    /// A layout must be a directory and an archive a readable file, said before skopeo runs.
    static func checkLocalInput(_ source: ImageSourceReference) throws(EdgeError) {
        switch source {
        case .ociLayout(let path, _):
            guard FileState.of(path) == .directory else {
                throw EdgeError(.malformed, "\(source): \(path) \(FileState.of(path) == .missing ? "does not exist" : "is not a directory")",
                                hint: "oci:DIR[:TAG] names an OCI image layout directory (with index.json)")
            }
        case .ociArchive(let path), .dockerArchive(let path):
            if let problem = FileState.of(path).problem {
                throw EdgeError(.malformed, "\(source): \(path) \(problem)", hint: "give the path of the image archive")
            }
        case .registry, .directory:
            break
        }
    }

    /// `dir:PATH`: an existing directory, used as it is.
    static func existingRoot(_ path: String, source: ImageSourceReference) throws(EdgeError) -> UnpackedRoot {
        let state = FileState.of(path)
        guard state == .directory else {
            throw EdgeError(.malformed, "\(source): \(path) \(state == .missing ? "does not exist" : "is not a directory")",
                            hint: "dir:PATH names a root filesystem directory (an unpacked image)")
        }
        return UnpackedRoot(path: path, architecture: nil, digest: nil)
    }
}
