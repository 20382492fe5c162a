import EdgeCore

/// What `build iso --from-image SOURCE` builds from: an image in a registry, an OCI layout, an OCI
/// or docker archive, or a root filesystem directory (AuroraBoot's `dir:`). Pure.
public enum ImageSourceReference: Sendable, Equatable, CustomStringConvertible {
    /// `host:port/repo:tag` or `...@sha256:...` (a `docker://` prefix is accepted and dropped).
    case registry(String)
    /// `oci:DIR[:TAG]`
    case ociLayout(path: String, tag: String?)
    /// `oci-archive:FILE`
    case ociArchive(path: String)
    /// `docker-archive:FILE`
    case dockerArchive(path: String)
    /// `dir:PATH`: a root filesystem, used as it is, never copied.
    case directory(path: String)

    static let forms = "a registry reference (registry.example.com/repo:tag), oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE or dir:PATH"

    /// skopeo's other transports: their names also read as `name:tag` references, so they are
    /// refused by name rather than pulled from Docker Hub.
    static let unsupportedTransports = ["containers-storage", "docker-daemon", "ostree", "sif", "tarball"]

    /// Reads SOURCE as the command line gives it; bad text is a usage error (exit 64) whose hint
    /// names every form.
    public init(parsing text: String) throws(EdgeError) {
        func refuse(_ why: String) -> EdgeError {
            EdgeError(.usage, "image source '\(text)' \(why)", hint: "give \(Self.forms)")
        }
        func path(after prefix: String) throws(EdgeError) -> String {
            let path = String(text.dropFirst(prefix.count))
            guard !path.isEmpty else { throw refuse("names no path after '\(prefix)'") }
            return path
        }
        // skopeo splits `oci-archive:` and `docker-archive:` names at the first ':' after the transport.
        func archivePath(after prefix: String) throws(EdgeError) -> String {
            let path = try path(after: prefix)
            guard !path.contains(":") else { throw refuse("has a ':' in its path, which skopeo would read as a tag; rename or link the file") }
            return path
        }
        if text.hasPrefix("oci:") {
            let rest = try path(after: "oci:")
            guard let colon = rest.firstIndex(of: ":") else {
                self = .ociLayout(path: rest, tag: nil)
                return
            }
            let directory = String(rest[..<colon]), tag = String(rest[rest.index(after: colon)...])
            guard !directory.isEmpty, !tag.isEmpty else { throw refuse("needs oci:DIR or oci:DIR:TAG (a DIR without ':')") }
            self = .ociLayout(path: directory, tag: tag)
        } else if text.hasPrefix("oci-archive:") {
            self = .ociArchive(path: try archivePath(after: "oci-archive:"))
        } else if text.hasPrefix("docker-archive:") {
            self = .dockerArchive(path: try archivePath(after: "docker-archive:"))
        } else if text.hasPrefix("dir:") {
            self = .directory(path: try path(after: "dir:"))
        } else if let transport = Self.unsupportedTransports.first(where: { text.hasPrefix($0 + ":") }) {
            throw refuse("uses skopeo's \(transport): transport, which edgeflash does not read")
        } else {
            let reference = text.hasPrefix("docker://") ? String(text.dropFirst("docker://".count)) : text
            guard Self.isRegistryReference(reference) else {
                throw refuse(text.isEmpty ? "is empty" : "is neither a registry reference nor one of the prefixed forms")
            }
            self = .registry(reference)
        }
    }

    /// The reference grammar of the Docker distribution spec: `[domain[:port]/]path[:tag][@digest]`,
    /// lowercase path components, a tag of at most 128 word characters, dots and dashes.
    static func isRegistryReference(_ text: String) -> Bool {
        let domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
        let domain = "(?:\(domainComponent)(?:\\.\(domainComponent))*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?"
        let pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
        let tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
        let digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
        let pattern = "(?:\(domain)/)?\(pathComponent)(?:/\(pathComponent))*(?::\(tag))?(?:@\(digest))?"
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: text)) != nil
    }

    /// The source as it was written (without a `docker://` prefix).
    public var description: String {
        switch self {
        case .registry(let reference): reference
        case .ociLayout(let path, let tag): "oci:\(path)" + (tag.map { ":\($0)" } ?? "")
        case .ociArchive(let path): "oci-archive:\(path)"
        case .dockerArchive(let path): "docker-archive:\(path)"
        case .directory(let path): "dir:\(path)"
        }
    }
}
