@testable import BuildStage
import EdgeCore
import Testing

/// The pure parts of reading an image source: the SOURCE text, TLS per registry, skopeo's failures
/// as one line.
struct RootFSSourceTests {
    @Test(arguments: [
        ("127.0.0.1:5000/edge/iso-image:v1", ImageSourceReference.registry("127.0.0.1:5000/edge/iso-image:v1")),
        ("docker://localhost/x", .registry("localhost/x")),
        ("[::1]:5000/a/b@sha256:" + String(repeating: "ab", count: 32), .registry("[::1]:5000/a/b@sha256:" + String(repeating: "ab", count: 32))),
        ("ubuntu", .registry("ubuntu")),
        ("oci:/work/layout", .ociLayout(path: "/work/layout", tag: nil)),
        ("oci:layout:v1.2", .ociLayout(path: "layout", tag: "v1.2")),
        ("oci-archive:/tmp/image.tar", .ociArchive(path: "/tmp/image.tar")),
        ("docker-archive:image.tar", .dockerArchive(path: "image.tar")),
        ("dir:/srv/root:fs", .directory(path: "/srv/root:fs")),
    ])
    func parsesEachForm(_ text: String, _ expected: ImageSourceReference) throws {
        let parsed = try ImageSourceReference(parsing: text)
        #expect(parsed == expected)
        #expect(parsed.description == (text.hasPrefix("docker://") ? String(text.dropFirst(9)) : text))
    }

    @Test(arguments: [
        ("", "is empty"),
        ("Registry.example.com/Edge/Image:v1", "is neither a registry reference nor one of the prefixed forms"),
        ("host:5000/repo:bad tag", "is neither a registry reference nor one of the prefixed forms"),
        ("oci:", "names no path after 'oci:'"),
        ("oci:layout:", "needs oci:DIR or oci:DIR:TAG (a DIR without ':')"),
        ("dir:", "names no path after 'dir:'"),
        ("oci-archive:a:b.tar", "has a ':' in its path, which skopeo would read as a tag; rename or link the file"),
        ("docker-daemon:busybox:latest", "uses skopeo's docker-daemon: transport, which edgeflash does not read"),
    ])
    func refusesBadTextNamingTheForms(_ text: String, _ why: String) {
        let error = #expect(throws: EdgeError.self) { try ImageSourceReference(parsing: text) }
        #expect(error?.code == .usage)
        #expect(error?.message == "image source '\(text)' \(why)")
        #expect(error?.hint == "give a registry reference (registry.example.com/repo:tag), oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE or dir:PATH")
    }

    @Test func loopbackRegistriesGoOverPlainHTTP() {
        #expect(RootFSUnpacker.transport(.registry("127.0.0.1:5000/x:1"), option: "--tls-verify") == ["--tls-verify=false"])
        #expect(RootFSUnpacker.transport(.registry("[::1]:5000/x:1"), option: "--src-tls-verify") == ["--src-tls-verify=false"])
        #expect(RootFSUnpacker.transport(.registry("registry.example.com/x:1"), option: "--tls-verify") == [])
        #expect(RootFSUnpacker.transport(.ociArchive(path: "a.tar"), option: "--tls-verify") == [])
        #expect(EngineCommands(engine: .buildah, arch: "amd64").pull("localhost:5000/x:1").contains("--tls-verify=false"))
        #expect(!EngineCommands(engine: .docker, arch: "amd64").pull("localhost:5000/x:1").contains("--tls-verify=false"))
    }

    @Test func skopeoFailureIsItsFatalMessageWithoutTheWrapper() {
        let stderr = #"""
            time="2026-11-30T08:56:32Z" level=warning msg="something else"
            time="2026-11-30T08:56:32Z" level=fatal msg="Error parsing image name \"docker://127.0.0.1:1/x/y:1\": pinging container registry 127.0.0.1:1: Get \"http://127.0.0.1:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused"
            """#
        #expect(ImageToolFailure.essentialLine(stderr)
                == #"pinging container registry 127.0.0.1:1: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused"#)
        #expect(ImageToolFailure.essentialLine("plain failure\n\n") == "plain failure")
        let error = ImageToolFailure.error(stderr, verb: "inspect", source: .registry("127.0.0.1:1/x/y:1"), architecture: "amd64")
        #expect(error.code == .io)

        // No option turns TLS verification off: the hint points at what skopeo reads.
        let tls = ImageToolFailure.error("time=\"x\" level=fatal msg=\"x509: certificate signed by unknown authority\"\n", verb: "inspect",
                                         source: .registry("reg.example.com/x/y:1"), architecture: "amd64")
        #expect(tls.code == .io)
        #expect(tls.hint?.contains("registries.conf ([[registry]] location=\"HOST\" insecure=true)") == true, "\(tls.hint ?? "")")
    }

    @Test func imageForAnotherPlatformIsRefused() throws {
        let source = ImageSourceReference.ociArchive(path: "a.tar")
        let arm = try ImageInspection.parse("\narm64\nlinux\n1\n", source: source)
        #expect(arm == ImageInspection(digest: nil, architecture: "arm64", os: "linux", layerCount: 1))
        #expect(throws: EdgeError.self) { try ImageInspection.parse("sha256:1\narm\n64\nlinux\n1\n", source: source) }
        #expect(throws: EdgeError(.malformed, "the image oci-archive:a.tar is for arm64; --arch/ARCH is amd64",
                                  hint: "use the amd64 image (a multi-arch image is picked for ARCH), or build for arm64")) {
            try arm.check(architecture: "amd64", source: source)
        }
        try arm.check(architecture: "arm64", source: source)
        let windows = ImageInspection(digest: nil, architecture: "amd64", os: "windows", layerCount: 0)
        #expect(throws: EdgeError.self) { try windows.check(architecture: "amd64", source: source) }
    }
}
