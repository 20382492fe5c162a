import EdgeCore
import Foundation

/// What goes into the installer ISO and where, the way the Edge build lays it out. Pure: file
/// names and sizes in, xorriso mappings out.
public struct ISOStagingPlan: Sendable, Equatable {
    /// One file (or a byte range of one, for content parts) placed at `isoPath`.
    public struct Mapping: Sendable, Equatable, Codable {
        public var source: String
        public var isoPath: String
        /// nil: the whole file.
        public var range: ByteRange?
    }

    public struct ByteRange: Sendable, Equatable, Codable {
        public var offset: Int64
        public var count: Int64
    }

    public static let userDataPath = "/files-iso/config.yaml"
    public static let contentDirectory = "/opt/spectrocloud/content"
    public static let edgeCustomConfigPath = "/.edge_custom_config.yaml"
    public static let clusterConfigPath = "/opt/spectrocloud/clusterconfig/spc.tgz"
    /// CanvOS splits content bundles with `split --bytes=3GB`: 3 * 10^9 bytes a part.
    public static let defaultPartSize: Int64 = 3_000_000_000

    public var mappings: [Mapping] = []

    public init(userData: String?, contentBundles: [(path: String, size: Int64)], edgeCustomConfig: String?,
                clusterConfig: String?, partSize: Int64 = defaultPartSize) {
        if let userData { mappings.append(Mapping(source: userData, isoPath: Self.userDataPath)) }
        for bundle in contentBundles.sorted(by: { $0.path < $1.path }) {
            mappings += Self.parts(of: bundle.path, size: bundle.size, partSize: partSize)
        }
        if let edgeCustomConfig { mappings.append(Mapping(source: edgeCustomConfig, isoPath: Self.edgeCustomConfigPath)) }
        if let clusterConfig { mappings.append(Mapping(source: clusterConfig, isoPath: Self.clusterConfigPath)) }
    }

    /// `<file>.zst_part00`, `_part01`... as `split --numeric-suffixes` names them (two digits, more when needed).
    static func parts(of path: String, size: Int64, partSize: Int64) -> [Mapping] {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let count = max(1, Int((size + partSize - 1) / partSize))
        let width = max(2, String(count - 1).count)
        return (0..<count).map { index in
            let suffix = String(repeating: "0", count: max(0, width - String(index).count)) + String(index)
            let offset = Int64(index) * partSize
            let range = size == 0 ? nil : ByteRange(offset: offset, count: min(partSize, size - offset))
            return Mapping(source: path, isoPath: "\(contentDirectory)/\(name)_part\(suffix)", range: range)
        }
    }

    /// Every ISO path the plan adds and the directories above them, to give them fixed owners for
    /// reproducible builds.
    public var addedPaths: [String] {
        var paths = Set<String>()
        for mapping in mappings {
            var components = mapping.isoPath.split(separator: "/")
            while !components.isEmpty {
                paths.insert("/" + components.joined(separator: "/"))
                components.removeLast()
            }
        }
        return paths.sorted()
    }

    /// The bytes the plan adds to an ISO.
    var byteCount: Int64 {
        mappings.reduce(0) { $0 + ($1.range?.count ?? ISOOutputFiles.size(of: $1.source)) }
    }

    /// Every missing or unreadable source, named at once, before a tool runs.
    func checkSources() throws {
        var problems: [String] = []
        for source in Set(mappings.map(\.source)).sorted() {
            if let problem = FileState.of(source).problem { problems.append("\(source) \(problem)") }
        }
        if !problems.isEmpty {
            throw EdgeError(.malformed, "cannot stage the ISO: " + problems.joined(separator: "; "))
        }
    }

    /// The plan with each source replaced by the file it resolves to, symlinks followed: xorriso
    /// would put a link itself in the ISO, dangling there.
    func followingSymlinks() -> ISOStagingPlan {
        var resolved = self
        for index in resolved.mappings.indices {
            resolved.mappings[index].source = BuildContextFile.realPath(mappings[index].source) ?? mappings[index].source
        }
        return resolved
    }
}
