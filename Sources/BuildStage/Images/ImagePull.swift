/// One image `build images` pulls, and what for, for `build plan` to list before anything runs.
public struct ImagePull: Sendable, Codable, Equatable {
    public var reference: String
    /// base, stylus, third-party, alpine, provider, k8s-payload.
    public var role: String
    /// Pulled only when Kubernetes is baked in (the base's systemd older than 255, or
    /// BUNDLE_K8S_AND_AGENT_PROVIDER=true).
    public var whenBaked: Bool

    public static func all(_ arguments: BuildArguments, images: [ProviderImage]) -> [ImagePull] {
        guard let sources = ImageSources(arguments) else { return [] }
        let forced = arguments["BUNDLE_K8S_AND_AGENT_PROVIDER"] == "true"
        var pulls = [ImagePull(reference: sources.base, role: "base", whenBaked: false),
                     ImagePull(reference: sources.stylus, role: "stylus", whenBaked: false),
                     ImagePull(reference: sources.thirdParty, role: "third-party", whenBaked: false),
                     ImagePull(reference: sources.alpine, role: "alpine", whenBaked: false),
                     ImagePull(reference: sources.provider, role: "provider", whenBaked: !forced)]
        pulls += images.map {
            ImagePull(reference: sources.k8sPayload(arguments, k8sVersion: $0.k8sVersion), role: "k8s-payload", whenBaked: !forced)
        }
        return pulls
    }
}
