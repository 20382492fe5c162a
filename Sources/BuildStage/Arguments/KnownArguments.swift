/// The build arguments CanvOS reads from `.arg`, their allowed values and defaults.
public enum KnownArguments {
    public static let osDistributions = ["ubuntu", "opensuse-leap", "rhel", "sles"]
    /// rhel and sles are built from a base image the user provides.
    public static let distributionsNeedingBaseImage: Set<String> = ["rhel", "sles"]
    public static let osVersions: [String: [String]] = [
        "ubuntu": ["20", "20.04", "22", "22.04", "24.04"],
        "opensuse-leap": ["15.6"],
    ]
    public static let k8sDistributions = ["k3s", "rke2", "kubeadm", "kubeadm-fips", "nodeadm", "canonical"]
    public static let architectures = ["amd64", "arm64"]
    public static let booleans = ["FIPS_ENABLED", "UPDATE_KERNEL", "CIS_HARDENING", "FORCE_INTERACTIVE_INSTALL",
                                  "BUNDLE_K8S_AND_AGENT_PROVIDER", "DISABLE_SELINUX"]

    /// Defaults as CanvOS's `.arg.template` and Earthfile have them.
    public static let defaults: [String: String] = [
        "CUSTOM_TAG": "demo",
        "IMAGE_REGISTRY": "ttl.sh",
        "OS_DISTRIBUTION": "ubuntu",
        "K8S_DISTRIBUTION": "k3s",
        "ISO_NAME": "palette-edge-installer",
        "ARCH": "amd64",
        "FIPS_ENABLED": "false",
        "UPDATE_KERNEL": "false",
        "CIS_HARDENING": "false",
        "FORCE_INTERACTIVE_INSTALL": "false",
    ]

    /// The registry roots and component versions CanvOS's Earthfile pins, as it pins them (late
    /// 2026). Each is overridable in `.arg`. Two more follow from these unless `.arg` sets them:
    /// KAIROS_BASE_IMAGE_URL (`$SPECTRO_PUB_REPO/edge`), STYLUS_BASE and ALPINE_IMG (see `ImageSources`).
    public static let canvosPins: [String: String] = [
        "SPECTRO_PUB_REPO": "us-docker.pkg.dev/palette-images",
        "SPECTRO_LUET_REPO": "us-docker.pkg.dev/palette-images/edge",
        "SPECTRO_THIRD_PARTY_IMAGE": "us-docker.pkg.dev/palette-images/third-party/spectro-third-party:4.8",
        "KAIROS_INIT_VERSION": "v0.17.1",
        "K3S_PROVIDER_VERSION": "v4.10.3",
        "RKE2_PROVIDER_VERSION": "v4.10.3",
        "KUBEADM_PROVIDER_VERSION": "v4.10.1",
        "NODEADM_PROVIDER_VERSION": "v4.9.3",
        "CANONICAL_PROVIDER_VERSION": "v4.10.1",
        "K3S_FLAVOR_TAG": "k3s1",
        "RKE2_FLAVOR_TAG": "rke2r1",
        "BUNDLE_K8S_AND_AGENT_PROVIDER": "false",
        "DISABLE_SELINUX": "true",
        "DRBD_VERSION": "9.2.13",
        "ALPINE_TAG": "3.20",
    ]

    /// Every argument edgeflash validates.
    public static let validated = [
        "CUSTOM_TAG", "IMAGE_REGISTRY", "OS_DISTRIBUTION", "IMAGE_REPO", "OS_VERSION", "K8S_DISTRIBUTION",
        "K8S_VERSION", "ISO_NAME", "ARCH", "FIPS_ENABLED", "UPDATE_KERNEL", "CIS_HARDENING",
        "FORCE_INTERACTIVE_INSTALL", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "PROXY_CERT_PATH",
        "CLUSTERCONFIG", "EDGE_CUSTOM_CONFIG", "PE_VERSION", "BASE_IMAGE",
    ]
    /// Other arguments CanvOS accepts; passed to the image build as they are, not checked here.
    public static let passedThrough = [
        "SPECTRO_PUB_REPO", "SPECTRO_LUET_REPO", "KAIROS_VERSION", "K3S_PROVIDER_VERSION",
        "KUBEADM_PROVIDER_VERSION", "RKE2_PROVIDER_VERSION", "NODEADM_PROVIDER_VERSION",
        "CANONICAL_PROVIDER_VERSION", "TWO_NODE", "TWO_NODE_BACKEND", "KINE_VERSION", "IS_UKI",
        "UKI_BRING_YOUR_OWN_KEYS", "INCLUDE_MS_SECUREBOOT_KEYS", "AUTO_ENROLL_SECUREBOOT_KEYS",
        "EFI_MAX_SIZE", "EFI_IMG_SIZE", "DISABLE_SELINUX", "ARM_TYPE", "OSBUILDER_VERSION",
        "IS_JETSON", "IS_MAAS", "FIPS", "DRBD_VERSION", "CMDLINE",
        "KAIROS_BASE_IMAGE_URL", "KAIROS_INIT_VERSION", "K3S_FLAVOR_TAG", "RKE2_FLAVOR_TAG",
        "BUNDLE_K8S_AND_AGENT_PROVIDER", "SPECTRO_THIRD_PARTY_IMAGE", "STYLUS_BASE", "ALPINE_IMG", "ALPINE_TAG", "IS_CLOUD_IMAGE",
        "INSTALL_NVIDIA_GPU_DRIVERS", "INSTALL_AMD_GPU_DRIVERS", "UBUNTU_PRO_ATTACH", "MAAS_IMAGE_NAME",
    ]
    public static var all: [String] { validated + passedThrough }
}
