/// Options CanvOS builds that edgeflash does not: refused with the `.arg` line that set them and
/// what to use instead, rather than built without them. Pure.
enum UnsupportedOptions {
    struct Option {
        var key: String
        var value: String
        var what: String
        var instead: String
    }

    static let all = [
        Option(key: "IS_UKI", value: "true", what: "UKI / trusted boot images",
               instead: "build them with CanvOS (earthly +uki-genkey, +build-all-images with IS_UKI=true), or set IS_UKI=false"),
        Option(key: "FIPS_ENABLED", value: "true", what: "FIPS images (CanvOS switches to its FIPS registries, kernels and binaries)",
               instead: "build them with CanvOS (earthly +build-all-images with FIPS_ENABLED=true), or set FIPS_ENABLED=false"),
        Option(key: "K8S_DISTRIBUTION", value: "kubeadm-fips", what: "FIPS Kubernetes (kubeadm-fips)",
               instead: "build it with CanvOS with FIPS_ENABLED=true, or use K8S_DISTRIBUTION=kubeadm"),
        Option(key: "TWO_NODE", value: "true", what: "two-node images (PostgreSQL and kine baked in)",
               instead: "build them with CanvOS (earthly +build-all-images with TWO_NODE=true), or set TWO_NODE=false"),
        Option(key: "INSTALL_NVIDIA_GPU_DRIVERS", value: "true", what: "NVIDIA GPU driver pre-install",
               instead: "build it with CanvOS, or let the GPU operator install the driver (INSTALL_NVIDIA_GPU_DRIVERS=false)"),
        Option(key: "INSTALL_AMD_GPU_DRIVERS", value: "true", what: "AMD GPU driver pre-install",
               instead: "build it with CanvOS, or let the GPU operator install the driver (INSTALL_AMD_GPU_DRIVERS=false)"),
        Option(key: "IS_MAAS", value: "true", what: "MAAS images",
               instead: "build them with CanvOS (earthly +kairos-raw-image with IS_MAAS=true), or set IS_MAAS=false"),
        Option(key: "IS_CLOUD_IMAGE", value: "true", what: "cloud images",
               instead: "build them with CanvOS (earthly +cloud-image or +aws-cloud-image), or remove IS_CLOUD_IMAGE"),
        Option(key: "UBUNTU_PRO_ATTACH", value: "true", what: "Ubuntu Pro attachment during the build",
               instead: "build with CanvOS's earthly.sh, which passes the token as a secret, or attach Ubuntu Pro on the device"),
    ]

    static func issues(_ arguments: BuildArguments) -> [BuildIssue] {
        all.compactMap { option in
            guard let line = arguments.line(option.key), arguments[option.key] == option.value else { return nil }
            return BuildIssue(.error, file: arguments.file, line: line, key: option.key,
                              "\(option.key)=\(option.value): edgeflash does not build \(option.what)", allowed: option.instead)
        }
    }
}
