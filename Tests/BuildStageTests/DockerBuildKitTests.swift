import EdgeCore
import Testing
@testable import BuildStage

/// What docker printed when it built the probe without BuildKit (captured from Debian 12's
/// docker.io 20.10 CLI and daemon, and from a docker 28 CLI without the buildx plugin), and the
/// message each gets.
struct DockerBuildKitTests {
    static let debianLegacy = """
        Sending build context to Docker daemon  2.048kB
        Step 1/4 : FROM 127.0.0.1:5000/palette-images/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1 AS probe
        """
    static let cli28WithoutBuildx = """
        DEPRECATED: The legacy builder is deprecated and will be removed in a future release.
                    Install the buildx component to build images with BuildKit:
                    https://docs.docker.com/go/buildx/

        unknown flag: --output
        """
    static let cli28BuildKitOff = """
        DEPRECATED: The legacy builder is deprecated and will be removed in a future release.
                    BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0
                    environment-variable.

        unknown flag: --output
        """
    static let cli28BuildKitOnWithoutBuildx = """
        ERROR: BuildKit is enabled but the buildx component is missing or broken.
               Install the buildx component to build images with BuildKit:
               https://docs.docker.com/go/buildx/
        """

    @Test func debiansDockerWithoutDockerBuildKitIsToldToSetIt() throws {
        let error = try #require(DockerBuildKit.missing(Self.debianLegacy, dockerBuildKit: nil))
        #expect(error.message.hasPrefix("this docker built with its legacy builder, which has no --output"))
        #expect(error.hint?.hasPrefix("set DOCKER_BUILDKIT=1 (Debian's docker.io has BuildKit built in), or install the buildx plugin") == true)
        #expect(DockerBuildKit.missing(Self.debianLegacy, dockerBuildKit: "")?.message == error.message)
    }

    @Test func dockerBuildKitZeroIsNamed() throws {
        for (output, setting) in [(Self.cli28BuildKitOff, "0"), (Self.debianLegacy, "0"), (Self.debianLegacy, "false")] {
            let error = try #require(DockerBuildKit.missing(output, dockerBuildKit: setting))
            #expect(error.message.contains("DOCKER_BUILDKIT=0 turns it off"))
            #expect(error.hint == "unset DOCKER_BUILDKIT or set DOCKER_BUILDKIT=1")
        }
    }

    @Test func aNewerCLIWithoutBuildxIsToldToInstallIt() throws {
        for output in [Self.cli28WithoutBuildx, Self.cli28BuildKitOnWithoutBuildx] {
            let error = try #require(DockerBuildKit.missing(output, dockerBuildKit: nil))
            #expect(error.message.hasPrefix("this docker has no BuildKit: "))
            #expect(error.message.contains("buildx plugin"))
            #expect(error.hint?.hasPrefix("install the buildx plugin (docker-buildx-plugin from Docker's packages, or docker-buildx") == true)
        }
    }

    @Test func buildKitsOwnFailuresAreLeftToTheLogTail() {
        let buildKit = "#1 [internal] load build definition from probe.Containerfile\n#5 ERROR: failed to solve: no such image\n"
        #expect(DockerBuildKit.missing(buildKit, dockerBuildKit: "1") == nil)
        #expect(DockerBuildKit.missing("", dockerBuildKit: nil) == nil)
    }
}
