import Foundation

/// Small images for the root filesystem tests, built once per test process with buildah from
/// files alone (mounted working containers, no RUN), in every form `--from-image` reads:
/// - `reference`: two layers in the shared `LocalRegistry`. The lower one has `etc/gone`,
///   `etc/kept` (xattr `user.edgeflash=kept-xattr`) with its symlink `etc/kept-symlink` and hard
///   link `etc/kept-hardlink`, `opaque/old`, `opaque/sub/file`, `usr/bin/edge-suid` (owner
///   1234:5678, mode 4750) and `usr/bin/edge-cap` (file capability cap_net_raw+ep); the upper one
///   deletes `etc/gone` (a `.wh.` whiteout) and replaces `opaque/` by a directory holding only
///   `new` (an opaque directory).
/// - the same image as an OCI layout (`ociLayout`, tag `v1`), an OCI archive and a docker archive;
/// - `arm64Reference`: an arm64 image with only `arm64-marker`;
/// - `multiArchReference`: an index of the two (amd64: the two-layer image, arm64: the marker).
public struct RootFSTestImages: Sendable {
    public static let xattrName = "user.edgeflash"
    public static let xattrValue = "kept-xattr"
    public static let arm64Marker = "arm64-marker"

    public let registry: String
    public let directory: URL
    public var reference: String { "\(registry)/edgeflash/rootfs-test:amd64" }
    public var arm64Reference: String { "\(registry)/edgeflash/rootfs-test:arm64" }
    public var multiArchReference: String { "\(registry)/edgeflash/rootfs-test:multi" }
    public var ociLayout: String { directory.appendingPathComponent("layout").path }
    public var ociArchive: String { directory.appendingPathComponent("image.oci.tar").path }
    public var dockerArchive: String { directory.appendingPathComponent("image.docker.tar").path }

    public static let shared: Result<RootFSTestImages, any Error> = Result {
        let images = try RootFSTestImages(registry: LocalRegistry.shared.get().address)
        try images.build()
        return images
    }

    init(registry: String) throws {
        self.registry = registry
        directory = try TemporaryDirectory.make(prefix: "edgeflash-rootfs-images")
        let directory = directory
        TestService.atExit { try? FileManager.default.removeItem(at: directory) }
    }

    /// Layers are made by editing the mounted working container, so the upper layer's whiteout and
    /// opaque directory are buildah's own (overlay) diff. Local copies carry the registry's name, so
    /// `LocalRegistry` removes them at exit.
    func build() throws {
        let lower = "\(registry)/edgeflash/rootfs-lower:1"
        try Shell.bash("""
            c=$(buildah from scratch); m=$(buildah mount "$c")
            mkdir -p "$m/etc" "$m/opaque/sub" "$m/usr/bin"
            echo gone > "$m/etc/gone"; echo kept > "$m/etc/kept"
            echo old > "$m/opaque/old"; echo sub > "$m/opaque/sub/file"
            echo suid > "$m/usr/bin/edge-suid"; chown 1234:5678 "$m/usr/bin/edge-suid"; chmod 4750 "$m/usr/bin/edge-suid"
            echo cap > "$m/usr/bin/edge-cap"; chmod 755 "$m/usr/bin/edge-cap"; setcap cap_net_raw+ep "$m/usr/bin/edge-cap"
            ln -s kept "$m/etc/kept-symlink"; ln "$m/etc/kept" "$m/etc/kept-hardlink"
            /usr/bin/python3 -c 'import os, sys; os.setxattr(sys.argv[1], "\(Self.xattrName)", b"\(Self.xattrValue)")' "$m/etc/kept"
            buildah umount "$c" >/dev/null; buildah commit --quiet "$c" '\(lower)' >/dev/null; buildah rm "$c" >/dev/null

            c=$(buildah from '\(lower)'); m=$(buildah mount "$c")
            rm "$m/etc/gone"; rm -rf "$m/opaque"; mkdir "$m/opaque"; echo new > "$m/opaque/new"
            buildah umount "$c" >/dev/null; buildah commit --quiet "$c" '\(reference)' >/dev/null; buildah rm "$c" >/dev/null

            c=$(buildah from --arch arm64 scratch); m=$(buildah mount "$c")
            echo arm64 > "$m/\(Self.arm64Marker)"
            buildah umount "$c" >/dev/null; buildah commit --quiet "$c" '\(arm64Reference)' >/dev/null; buildah rm "$c" >/dev/null

            for image in '\(reference)' '\(arm64Reference)'; do buildah push --quiet --tls-verify=false "$image"; done
            buildah manifest create '\(multiArchReference)' >/dev/null
            for image in '\(reference)' '\(arm64Reference)'; do buildah manifest add '\(multiArchReference)' "containers-storage:$image" >/dev/null; done
            buildah manifest push --quiet --all --tls-verify=false '\(multiArchReference)' 'docker://\(multiArchReference)'

            skopeo copy --quiet 'containers-storage:\(reference)' 'oci:\(ociLayout):v1'
            skopeo copy --quiet 'containers-storage:\(reference)' 'oci-archive:\(ociArchive)'
            skopeo copy --quiet 'containers-storage:\(reference)' 'docker-archive:\(dockerArchive)'
            buildah manifest rm '\(multiArchReference)' >/dev/null
            """)
    }
}
