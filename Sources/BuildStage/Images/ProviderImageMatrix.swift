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

    /// `IMAGE_REGISTRY/IMAGE_REPO:K8S_DISTRIBUTION-K8S_VERSION-PE_VERSION[-CUSTOM_TAG]`.
    public static func reference(_ arguments: BuildArguments, k8sVersion: String) -> String {
        var tag = "\(arguments.k8sDistribution)-\(k8sVersion)-\(arguments.peVersion)"
        if !arguments.customTag.isEmpty { tag += "-\(arguments.customTag)" }
        return "\(arguments.imageRegistry)/\(arguments.imageRepo):\(tag)"
    }
}
