import Testing
@testable import BuildStage

struct DockerfileCheckTests {
    static let marker = "########################### Add any other image customizations here #######################"

    static func issues(_ text: String) -> [String] {
        DockerfileCheck.issues(text, file: "Dockerfile").map(\.formatted)
    }

    @Test func installsThatWouldPromptAreErrorsAtTheirOwnLine() {
        let found = Self.issues("""
            ARG BASE
            FROM $BASE
            \(Self.marker)
            RUN apt-get update && \\
                apt-get install nginx
            RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y curl
            RUN apt-get -qy install vim && apt-get -o APT::Get::Assume-Yes=true upgrade
            RUN zypper refresh && zypper install nginx
            RUN zypper --non-interactive install nginx && zypper in -y vim
            # RUN yum install commented
            RUN yum install -y httpd; dnf install httpd
            RUN ["apt-get", "install", "exec-form"]
            RUN echo "apt-get install quoted" && apt-get install --yes ok
            """)
        #expect(found == [
            "Dockerfile:5: error: apt-get install without -y stops at its confirmation prompt, which fails the build (allowed: apt-get install -y ...)",
            "Dockerfile:8: error: zypper install without --non-interactive stops at its confirmation prompt, which fails the build (allowed: zypper install --non-interactive ...)",
            "Dockerfile:11: error: dnf install without -y stops at its confirmation prompt, which fails the build (allowed: dnf install -y ...)",
            "Dockerfile:12: error: apt-get install without -y stops at its confirmation prompt, which fails the build (allowed: apt-get install -y ...)",
        ])
    }

    @Test func changesAboveTheCustomizationLineAreWarnings() {
        let found = Self.issues("""
            ARG BASE
            FROM   $BASE
            RUN mkdir -p /certs
            COPY certs/ /certs/
            RUN apt-get install -y nginx
            RUN rm -rf /certs
            \(Self.marker)
            RUN echo below is fine
            """)
        #expect(found == [
            "Dockerfile:5: warning: RUN above the \"Add any other image customizations here\" line (line 7) is not CanvOS's; CanvOS's guide says to make changes below that line, where updates to CanvOS do not collide with them",
        ])
    }

    @Test func aDockerfileWithoutTheLineIsNamed() {
        #expect(Self.issues("FROM scratch\n").first?.contains("has no \"Add any other image customizations here\" line") == true)
    }

    @Test func optionsEdgeflashDoesNotBuildAreRefusedWithTheirLine() {
        let arguments = BuildArguments(ArgFile.parse("IS_UKI=true\nFIPS_ENABLED=false\nTWO_NODE=true\nINSTALL_NVIDIA_GPU_DRIVERS=true\nIS_MAAS=false\n", file: ".arg"))
        let found = UnsupportedOptions.issues(arguments)
        #expect(found.map(\.line) == [1, 3, 4])
        #expect(found[0].formatted == ".arg:1: error: IS_UKI=true: edgeflash does not build UKI / trusted boot images (allowed: build them with CanvOS (earthly +uki-genkey, +build-all-images with IS_UKI=true), or set IS_UKI=false)")
    }
}
