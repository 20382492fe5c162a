import EdgeCore
#if canImport(Glibc)
import Glibc
#endif

/// The site's user-data volume a session adds: files already read and validated by the caller
/// (DiskOps reads no YAML), and the secret values in them, which the sessions keep out of every
/// message they produce. The only place the sessions reach the injector.
public struct UserDataVolume: Sendable {
    public var request: InjectionRequest
    public var scrubber: SecretScrubber

    public init(request: InjectionRequest, secrets: [String]) {
        self.request = request
        scrubber = SecretScrubber(secrets: secrets)
    }

    /// Where the volume would go on `target`, writing nothing (what the confirmation shows).
    func plan(on target: String) throws -> InjectionPlan {
        try UserDataInjector.plan(target: target, request)
    }

    /// Where the volume will go once `image` is written to a disk of `diskSize` bytes, reading the
    /// image's own tables (the disk's bytes past the image do not matter: its last MiB is cleared
    /// and the volume overwrites the rest). Throws the refusal inject would, before anything is written.
    func planAfterWriting(_ image: ImageOnDisk, toDiskOf diskSize: Int64) throws -> InjectionPlan {
        var request = request
        request.imageSize = image.size
        request.growable = false
        return try InjectionPlanner.plan(request, targetSize: diskSize, read: image.read)
    }

    /// Adds (or replaces) the volume; `imageSize` when the session has just written the image.
    /// An image file is made owner-only first: from now on it holds the site's secrets.
    func add(to target: String, imageSize: Int64? = nil) throws -> InjectionPlan {
        if FileStatus.of(target)?.kind == .regularFile { try Self.makeOwnerOnly(target) }
        var request = request
        request.imageSize = imageSize
        return try UserDataInjector.inject(target: target, request)
    }

    /// Drops the group's and others' permissions (0644 becomes 0600).
    private static func makeOwnerOnly(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0, chmod(path, info.st_mode & 0o700) == 0 else {
            throw EdgeError(.io, "cannot make \(path) readable by its owner only (\(String(cString: strerror(errno)))): it would hold the site's secrets",
                            hint: "Copy the image to a file you own, then inject into that copy.")
        }
    }
}
