import Testing
@testable import BuildStage

struct ImageBuildCommandsTests {
    static let arguments = BuildArguments(ArgFile.parse("""
        CUSTOM_TAG=palette-learn
        IMAGE_REGISTRY=spectrocloud
        PE_VERSION=v4.4.12
        ARCH=arm64
        HTTP_PROXY=http://bob:s3cret@proxy.example.com:3128
        """, file: ".arg"))
    static let images = ProviderImageMatrix.images(arguments,
        k8sVersions: K8sVersionTable(file: "k", versions: ["k3s": ["1.26.4", "1.27.2"]]))

    @Test(arguments: [(ContainerEngine.docker, "build"), (.podman, "build"), (.buildah, "bud")])
    func onePerImageWithTagPlatformAndBuildArgs(_ engine: ContainerEngine, _ verb: String) {
        let steps = ImageBuildCommands.steps(Self.images, arguments: Self.arguments, engine: engine, push: true,
                                             context: "canvos", dockerfile: "canvos/Dockerfile")
        #expect(steps.count == 2)
        let build = steps[1].build
        #expect(Array(build.prefix(4)) == [engine.rawValue, verb, "--platform", "linux/arm64"])
        #expect(Array(build.suffix(5)) == ["--tag", "spectrocloud/ubuntu:k3s-1.27.2-v4.4.12-palette-learn",
                                           "--file", "canvos/Dockerfile", "canvos"])
        #expect(build.contains("K8S_VERSION=1.27.2"))
        #expect(!build.contains("K8S_VERSION=1.26.4"))
        #expect(build.contains("PE_VERSION=v4.4.12"))
        #expect(build.contains("ISO_NAME=palette-edge-installer"))
        #expect(steps[1].push == [engine.rawValue, "push", "spectrocloud/ubuntu:k3s-1.27.2-v4.4.12-palette-learn"])
    }

    @Test func noPushUnlessAsked() {
        let steps = ImageBuildCommands.steps(Self.images, arguments: Self.arguments, engine: .docker, push: false,
                                             context: ".", dockerfile: "Dockerfile")
        #expect(steps.allSatisfy { $0.push == nil })
    }

    @Test func displayQuotesAndRedactsProxyPasswords() {
        let steps = ImageBuildCommands.steps(Self.images, arguments: Self.arguments, engine: .docker, push: false,
                                             context: "my dir", dockerfile: "Dockerfile")
        #expect(steps[0].build.contains("HTTP_PROXY=http://bob:s3cret@proxy.example.com:3128"))
        let shown = ImageBuildCommands.display(steps[0].build)
        #expect(!shown.contains("s3cret"))
        #expect(shown.contains("HTTP_PROXY=http://bob:REDACTED@proxy.example.com:3128"))
        #expect(shown.hasSuffix(" 'my dir'"))
    }

    @Test func detectPrefersDockerThenPodmanThenBuildah() {
        #expect(ContainerEngine.detect { $0 == "buildah" || $0 == "podman" ? "/usr/bin/\($0)" : nil } == .podman)
        #expect(ContainerEngine.detect { _ in nil } == nil)
    }
}
