import Testing
@testable import BuildStage

struct ProviderImageMatrixTests {
    static let table = K8sVersionTable(file: "k8s_version.json", versions: ["k3s": ["1.26.4", "1.27.2", "1.28.2"]])

    static func arguments(_ text: String) -> BuildArguments {
        BuildArguments(ArgFile.parse("IMAGE_REGISTRY=spectrocloud\nPE_VERSION=v4.4.12\n" + text, file: ".arg"))
    }

    @Test func theGuideExampleReference() {
        let images = ProviderImageMatrix.images(Self.arguments("CUSTOM_TAG=palette-learn\nK8S_VERSION=1.27.2"), k8sVersions: Self.table)
        #expect(images == [ProviderImage(k8sVersion: "1.27.2", reference: "spectrocloud/ubuntu:k3s-1.27.2-v4.4.12-palette-learn")])
    }

    @Test func unsetVersionBuildsOnePerListedVersion() {
        let images = ProviderImageMatrix.images(Self.arguments("OS_DISTRIBUTION=opensuse-leap\nCUSTOM_TAG=demo"), k8sVersions: Self.table)
        #expect(images.map(\.reference) == [
            "spectrocloud/opensuse-leap:k3s-1.26.4-v4.4.12-demo",
            "spectrocloud/opensuse-leap:k3s-1.27.2-v4.4.12-demo",
            "spectrocloud/opensuse-leap:k3s-1.28.2-v4.4.12-demo",
        ])
    }

    @Test func emptyCustomTagLeavesNoTrailingDash() {
        let images = ProviderImageMatrix.images(Self.arguments("CUSTOM_TAG=\nK8S_VERSION=1.27.2\nIMAGE_REPO=edge/ubuntu"), k8sVersions: nil)
        #expect(images.map(\.reference) == ["spectrocloud/edge/ubuntu:k3s-1.27.2-v4.4.12"])
    }

    @Test func theISOImageIsTaggedInTheProviderImagesRepository() {
        #expect(ProviderImageMatrix.isoImageReference(Self.arguments("CUSTOM_TAG=palette-learn")) == "spectrocloud/ubuntu:iso-image-v4.4.12-palette-learn")
        #expect(ProviderImageMatrix.isoImageReference(Self.arguments("CUSTOM_TAG=\nIMAGE_REPO=edge/ubuntu")) == "spectrocloud/edge/ubuntu:iso-image-v4.4.12")
    }

    @Test func peVersionOverrideWins() {
        let argFile = ArgFile.parse("PE_VERSION=v4.4.12\nK8S_VERSION=1.27.2", file: ".arg")
        let arguments = BuildArguments(argFile, peVersionOverride: "v4.5.3")
        #expect(ProviderImageMatrix.images(arguments, k8sVersions: nil).first?.reference == "ttl.sh/ubuntu:k3s-1.27.2-v4.5.3-demo")
    }
}
