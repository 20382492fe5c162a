/// One provider image the build makes: a Kubernetes version and the reference it is tagged with.
public struct ProviderImage: Sendable, Codable, Equatable {
    public var k8sVersion: String
    public var reference: String
}

/// The provider image matrix: K8S_VERSION set builds one image; unset builds one per version that
/// k8s_version.json lists for the distribution.
public enum ProviderImageMatrix {
    public static func images(_ arguments: BuildArguments, k8sVersions: K8sVersionTable?) -> [ProviderImage] {
        let versions = arguments.k8sVersion.map { [$0] } ?? k8sVersions?.versions[arguments.k8sDistribution] ?? []
        return versions.map { ProviderImage(k8sVersion: $0, reference: reference(arguments, k8sVersion: $0)) }
    }

    /// The OCI distribution spec's limit: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. Registries refuse longer tags.
    public static let maximumTagLength = 128

    /// `IMAGE_REGISTRY/IMAGE_REPO:K8S_DISTRIBUTION-K8S_VERSION-PE_VERSION[-CUSTOM_TAG]`.
    public static func reference(_ arguments: BuildArguments, k8sVersion: String) -> String {
        "\(arguments.imageRegistry)/\(arguments.imageRepo):\(tag(arguments, k8sVersion: k8sVersion))"
    }

    /// `K8S_DISTRIBUTION-K8S_VERSION-PE_VERSION[-CUSTOM_TAG]`.
    static func tag(_ arguments: BuildArguments, k8sVersion: String) -> String {
        "\(arguments.k8sDistribution)-\(k8sVersion)-\(imageTag(arguments))"
    }

    /// CanvOS's IMAGE_TAG: `PE_VERSION[-CUSTOM_TAG]`.
    static func imageTag(_ arguments: BuildArguments) -> String {
        arguments.customTag.isEmpty ? arguments.peVersion : "\(arguments.peVersion)-\(arguments.customTag)"
    }

    /// The iso-image (what `build iso --from-image` makes the installer ISO from), pushed next to
    /// the provider images: `IMAGE_REGISTRY/IMAGE_REPO:iso-image-PE_VERSION[-CUSTOM_TAG]`. CanvOS
    /// keeps it local as `palette-installer-image:IMAGE_TAG`; edgeflash pushes it to the repository
    /// the provider images go to, which the user can already push to. Its tag is never longer
    /// than a provider tag (`iso-image-` against `DIST-X.Y.Z-`), so the provider tags' length check
    /// covers it.
    public static func isoImageReference(_ arguments: BuildArguments) -> String {
        "\(arguments.imageRegistry)/\(arguments.imageRepo):iso-image-\(imageTag(arguments))"
    }
}
