import BuildStage
import EdgeCore
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `RootFSUnpacker` for real: images built with buildah (`RootFSTestImages`), pulled from a local
/// registry and read from an OCI layout and from OCI and docker archives, unpacked with skopeo and
/// umoci; their whiteouts, opaque directories, owners, modes and xattrs checked on disk.
@Suite(.enabled(if: Privileges.isRoot, "needs root for buildah and for unpacking with owners kept (CI runs as root)"))
final class RootFSUnpackerTests {
    let images: RootFSTestImages
    let scratch: URL

    init() throws {
        images = try RootFSTestImages.shared.get()
        scratch = try TemporaryDirectory.make(prefix: "edgeflash-rootfs-scratch")
    }

    deinit { try? FileManager.default.removeItem(at: scratch) }

    func unpack(_ source: String, architecture: String = "amd64") throws -> UnpackedRoot {
        try RootFSUnpacker().unpack(try ImageSourceReference(parsing: source), into: scratch,
                                    architecture: architecture)
    }

    /// What unpacking must fail with; and then scratch holds nothing that could pass for a root.
    func failure(_ source: String, architecture: String = "amd64") throws -> EdgeError {
        let error = try #require(throws: EdgeError.self) { try self.unpack(source, architecture: architecture) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [])
        #expect(!error.message.contains("\n") && !error.message.contains("level=fatal"), "one line, no skopeo log: \(error.message)")
        return error
    }

    func contents(_ root: String, _ path: String) -> String? {
        (try? String(contentsOfFile: "\(root)/\(path)", encoding: .utf8))
    }

    /// The lower layer's files as the upper layer left them.
    func expectTwoLayerImage(_ root: String) throws {
        let fm = FileManager.default
        #expect(contents(root, "etc/kept") == "kept\n")
        #expect(!fm.fileExists(atPath: "\(root)/etc/gone"), "the whiteout deletes etc/gone")
        #expect(try fm.contentsOfDirectory(atPath: "\(root)/opaque").sorted() == ["new"], "the opaque directory hides the lower one's files")
        let whiteouts = fm.enumerator(atPath: root)?.compactMap { $0 as? String }.filter { ($0 as NSString).lastPathComponent.hasPrefix(".wh.") }
        #expect(whiteouts == [])

        var status = stat()
        #expect(lstat("\(root)/usr/bin/edge-suid", &status) == 0)
        #expect(status.st_uid == 1234 && status.st_gid == 5678)
        #expect(status.st_mode & 0o7777 == 0o4750)

        var kept = stat(), hardLink = stat()
        #expect(lstat("\(root)/etc/kept", &kept) == 0 && lstat("\(root)/etc/kept-hardlink", &hardLink) == 0)
        #expect(kept.st_ino == hardLink.st_ino, "the hard link is one file")
        #expect(try fm.destinationOfSymbolicLink(atPath: "\(root)/etc/kept-symlink") == "kept")
        #expect(try Shell.run("getcap", ["\(root)/usr/bin/edge-cap"]).stdout.contains("cap_net_raw=ep"))

        // Glibc's module map has no sys/xattr.h; Python's os.getxattr is the same call.
        let xattr = try Shell.run("/usr/bin/python3", ["-c", "import os, sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())",
                                                       "\(root)/etc/kept", RootFSTestImages.xattrName])
        #expect(xattr.stdout == RootFSTestImages.xattrValue + "\n", "\(xattr.stderr)")
    }

    @Test func registryImageIsUnpackedWithItsWhiteoutsOwnersModesAndXattrs() throws {
        let lines = ProgressLines()
        let root = try RootFSUnpacker(progress: lines.append).unpack(.registry(images.reference), into: scratch,
                                                                     architecture: "amd64")
        #expect(root.path == scratch.appendingPathComponent(RootFSUnpacker.rootDirectoryName).path)
        #expect(root.architecture == "amd64")
        let digest = try Shell.bash("skopeo inspect --tls-verify=false --format '{{.Digest}}' 'docker://\(images.reference)'")
        #expect(root.digest == digest.trimmingCharacters(in: .whitespacesAndNewlines))
        try expectTwoLayerImage(root.path)
        #expect(lines.all == ["pulling \(images.reference) (linux/amd64)", "unpacking \(images.reference) (2 layers)"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [RootFSUnpacker.rootDirectoryName],
                "the copied layout is removed once unpacked")
    }

    @Test(arguments: ["oci", "oci-archive", "docker-archive"])
    func localImageIsUnpackedTheSameWay(_ form: String) throws {
        let source = switch form {
        case "oci": "oci:\(images.ociLayout):v1"
        case "oci-archive": "oci-archive:\(images.ociArchive)"
        default: "docker-archive:\(images.dockerArchive)"
        }
        let root = try unpack(source)
        #expect(root.architecture == "amd64")
        #expect(root.digest?.hasPrefix("sha256:") == true)
        try expectTwoLayerImage(root.path)
    }

    /// skopeo is asked only for the four fields it needs: a 70 KB label (more than the output
    /// edgeflash keeps of a tool) does not hide them.
    @Test func imageWithBigMetadataIsUnpacked() throws {
        let work = try TemporaryDirectory.make(prefix: "edgeflash-big-label")
        defer { try? FileManager.default.removeItem(at: work) }
        let layout = work.appendingPathComponent("layout").path
        try Shell.bash("cp -a '\(images.ociLayout)' '\(layout)'"
                       + " && umoci config --image '\(layout):v1' --tag v1 --config.label big=$(head -c 70000 /dev/zero | tr '\\0' a)")
        let described = try Shell.bash("skopeo inspect 'oci:\(layout):v1' | wc -c")
        #expect(Int(described.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 64 << 10)
        let root = try unpack("oci:\(layout):v1")
        #expect(root.architecture == "amd64")
        try expectTwoLayerImage(root.path)
    }

    @Test func multiArchIndexGivesTheRequestedArchitecture() throws {
        let arm64 = try unpack(images.multiArchReference, architecture: "arm64")
        #expect(arm64.architecture == "arm64")
        #expect(contents(arm64.path, RootFSTestImages.arm64Marker) == "arm64\n")
        #expect(contents(arm64.path, "etc/kept") == nil)
        let index = try Shell.bash("skopeo inspect --raw --tls-verify=false 'docker://\(images.multiArchReference)' | sha256sum")
        #expect(arm64.digest == "sha256:" + index.prefix(64), "the digest the source names: the index's")
    }

    @Test func imageForAnotherArchitectureIsRefused() throws {
        let error = try failure(images.arm64Reference)
        #expect(error.code == .malformed)
        #expect(error.message == "the image \(images.arm64Reference) is for arm64; --arch/ARCH is amd64")
    }

    @Test func ctrlCBetweenCopyAndUnpackLeavesNothing() throws {
        // Stopped as the layout is copied and the unpack is about to start: umoci never runs.
        let children = ChildGroup()
        let unpacker = RootFSUnpacker(children: children) { line in
            if line.hasPrefix("unpacking") { children.stopAll() }
        }
        let error = try #require(throws: EdgeError.self) {
            try unpacker.unpack(.registry(self.images.reference), into: self.scratch, architecture: "amd64")
        }
        #expect(error == EdgeError(.interrupted, "interrupted: the image was not unpacked"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [], "the copied layout is removed too")
    }

    @Test func rootAlreadyInScratchIsLeftAlone() throws {
        let earlier = scratch.appendingPathComponent(RootFSUnpacker.rootDirectoryName)
        try FileManager.default.createDirectory(at: earlier, withIntermediateDirectories: true)
        let error = try #require(throws: EdgeError.self) { try self.unpack("oci:\(self.images.ociLayout):v1") }
        #expect(error.code == .failure && error.message.hasSuffix("already exists; the image is unpacked into a fresh scratch directory"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [RootFSUnpacker.rootDirectoryName])
    }

    @Test func fullDiskIsAnIOError() throws {
        // scratch on a tmpfs too small for the image's layout.
        try Shell.bash("mount -t tmpfs -o size=8k edgeflash-full '\(scratch.path)'")
        defer { _ = try? Shell.bash("umount '\(scratch.path)'") }
        let error = try failure("oci:\(images.ociLayout):v1")
        #expect(error.code == .io)
        #expect(error.message.hasPrefix("no space left to unpack oci:\(images.ociLayout):v1: "))
        #expect(error.hint == "free space in the --output directory (the scratch directory is inside it) or choose another --output")
    }

    @Test func unreachableRegistryIsOneClearLine() throws {
        let error = try failure("127.0.0.1:1/edgeflash/rootfs-test:amd64")
        #expect(error.code == .io)
        #expect(error.message.hasPrefix("cannot reach the registry of 127.0.0.1:1/edgeflash/rootfs-test:amd64: "))
        #expect(error.message.contains("connection refused"))
    }

    @Test func missingTagIsNotFound() throws {
        let error = try failure("\(images.registry)/edgeflash/rootfs-test:no-such-tag")
        #expect(error.code == .malformed)
        #expect(error.message == "\(images.registry)/edgeflash/rootfs-test:no-such-tag not found: "
                + "reading manifest no-such-tag in \(images.registry)/edgeflash/rootfs-test: manifest unknown")
    }

    @Test func missingArchiveIsNamedBeforeSkopeoRuns() throws {
        let missing = scratch.appendingPathComponent("absent.tar").path
        let error = try failure("oci-archive:\(missing)")
        #expect(error.code == .malformed)
        #expect(error.message == "oci-archive:\(missing): \(missing) does not exist")
    }

    @Test func directoryIsUsedAsItIs() throws {
        let root = try unpack("dir:\(images.directory.path)")
        #expect(root == UnpackedRoot(path: images.directory.path, architecture: nil, digest: nil))
        let missing = try #require(throws: EdgeError.self) { try self.unpack("dir:\(self.scratch.path)/absent") }
        #expect(missing.code == .malformed && missing.message.hasSuffix("does not exist"))
        let file = try #require(throws: EdgeError.self) { try self.unpack("dir:\(self.images.ociArchive)") }
        #expect(file.code == .malformed && file.message.hasSuffix("is not a directory"))
    }
}

/// Progress lines collected from any thread.
final class ProgressLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }
    func append(_ line: String) { lock.withLock { lines.append(line) } }
}
