import Foundation

/// Every image a provider build pulls, named as CanvOS's Earthfile names them from `.arg` (its
/// pinned defaults in `KnownArguments.canvosPins`). Pure.
public struct ImageSources: Sendable, Equatable {
    /// The Kairos base: BASE_IMAGE, else the reference CanvOS computes for ubuntu and opensuse-leap.
    public var base: String
    /// The Kairos provider image whose files are baked in when systemd is older than 255.
    public var provider: String
    /// The stylus framework image (branding, stylus and elemental configuration).
    public var stylus: String
    /// The image CanvOS takes etcdctl from (`/binaries/etcdctl/latest/palette/ARCH/etcdctl`).
    public var thirdParty: String
    /// CanvOS's own alpine (with upx), where it packs etcdctl with `upx -1`.
    public var alpine: String
    /// The luet repository image CanvOS installs `k8s/DISTRIBUTION@VERSION` from.
    public var luetRepository: String

    public init?(_ arguments: BuildArguments) {
        guard let base = Self.baseImage(arguments) else { return nil }
        self.base = base
        let root = arguments["SPECTRO_PUB_REPO"]
        provider = "\(root)/edge/kairos-io/provider-\(Self.providerName(arguments.k8sDistribution)):\(arguments[Self.providerVersionKey(arguments.k8sDistribution)])"
        stylus = arguments.has("STYLUS_BASE") ? arguments["STYLUS_BASE"]
            : "\(root)/edge/stylus-framework-linux-\(arguments.arch):\(arguments.peVersion)"
        thirdParty = arguments["SPECTRO_THIRD_PARTY_IMAGE"]
        alpine = arguments.has("ALPINE_IMG") ? arguments["ALPINE_IMG"] : "\(root)/edge/canvos/alpine:\(arguments["ALPINE_TAG"])"
        luetRepository = "\(arguments["SPECTRO_LUET_REPO"])/luet-repo-\(arguments.arch == "arm64" ? "arm" : "amd")"
    }

    /// BASE_IMAGE from `.arg`, else `KAIROS_BASE_IMAGE_URL/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1`
    /// and the like, as CanvOS's Earthfile computes it; nil for a distribution that must set BASE_IMAGE.
    static func baseImage(_ arguments: BuildArguments) -> String? {
        if arguments.has("BASE_IMAGE") { return arguments["BASE_IMAGE"] }
        let version = arguments.osVersion, suffix = "core-\(arguments.arch)-generic-\(arguments["KAIROS_INIT_VERSION"])"
        let tag: String
        switch arguments.osDistribution {
        case "ubuntu": tag = "kairos-ubuntu:\(version == "22" || version == "20" ? version + ".04" : version)-\(suffix)"
        case "opensuse-leap": tag = "kairos-opensuse:leap-\(version)-\(suffix)"
        default: return nil
        }
        return "\(arguments["KAIROS_BASE_IMAGE_URL"])/\(tag)"
    }

    static func providerName(_ distribution: String) -> String {
        distribution == "kubeadm-fips" ? "kubeadm" : distribution
    }

    static func providerVersionKey(_ distribution: String) -> String {
        providerName(distribution).uppercased() + "_PROVIDER_VERSION"
    }

    /// The luet package version CanvOS installs: `1.30.2-k3s1` for k3s, `1.30.2-rke2r1` for rke2,
    /// the Kubernetes version itself otherwise.
    public static func packageVersion(_ arguments: BuildArguments, k8sVersion: String) -> String {
        switch arguments.k8sDistribution {
        case "k3s": "\(k8sVersion)-\(arguments["K3S_FLAVOR_TAG"])"
        case "rke2": "\(k8sVersion)-\(arguments["RKE2_FLAVOR_TAG"])"
        default: k8sVersion
        }
    }

    /// The image holding the luet package `k8s/DISTRIBUTION@VERSION` in a luet docker repository:
    /// luet tags each package `NAME-CATEGORY-VERSION` with '+' made '-', one layer of its files.
    public func k8sPayload(_ arguments: BuildArguments, k8sVersion: String) -> String {
        let version = Self.packageVersion(arguments, k8sVersion: k8sVersion)
        return "\(luetRepository):\(arguments.k8sDistribution)-k8s-\(version)".replacingOccurrences(of: "+", with: "-")
    }
}
