import Crypto
import Foundation

/// What `build images` builds, as Containerfile text: the base (the checkout's Dockerfile with
/// CanvOS's OS preparation after it), the systemd probe, and one provider stage per Kubernetes
/// version, composed as CanvOS's `provider-image` target composes it (non-UKI). Pure: the dry run
/// prints exactly what the real run builds.
public struct ImageComposition: Sendable {
    /// Files of the build context (the CanvOS checkout) the provider stage copies when present.
    public struct ContextFiles: Sendable, Equatable {
        /// `overlay/files/etc/` exists.
        public var overlayEtc: Bool
        /// EDGE_CUSTOM_CONFIG, relative to the context, when the file exists.
        public var edgeCustomConfig: String?
        /// `scripts/install-kernel-headers.sh` exists (kubeadm and UPDATE_KERNEL on ubuntu amd64 use it).
        public var kernelHeadersScript: Bool

        public init(overlayEtc: Bool, edgeCustomConfig: String?, kernelHeadersScript: Bool) {
            self.overlayEtc = overlayEtc
            self.edgeCustomConfig = edgeCustomConfig
            self.kernelHeadersScript = kernelHeadersScript
        }
    }

    /// The systemd version from which Kubernetes and the agent provider are left out of the image
    /// (delivered as systemd extensions later), as CanvOS decides.
    public static let systemdExtensionsVersion = 255

    public var arguments: BuildArguments
    public var sources: ImageSources
    public var contextFiles: ContextFiles
    /// The checkout's own Dockerfile, the start of the base.
    var checkoutDockerfile: String
    /// The local name the base is tagged with, for the provider stages to start from.
    public var baseTag: String
    /// For the labels, with the per-version ones.
    public var edgeflashVersion: String
    public var argFileSHA256: String

    public init(arguments: BuildArguments, sources: ImageSources, contextFiles: ContextFiles, checkoutDockerfile: String,
                edgeflashVersion: String, argFileSHA256: String) {
        self.arguments = arguments
        self.sources = sources
        self.contextFiles = contextFiles
        self.edgeflashVersion = edgeflashVersion
        self.argFileSHA256 = argFileSHA256
        self.checkoutDockerfile = checkoutDockerfile
        let digest = SHA256.hash(data: Data((checkoutDockerfile + sources.base + argFileSHA256).utf8))
        baseTag = "localhost/edgeflash/canvos-base:" + digest.prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    /// The build arguments CanvOS's `base-image` passes to the checkout's Dockerfile.
    public var baseBuildArguments: [(String, String)] {
        [("BASE", sources.base), ("OS_DISTRIBUTION", arguments.osDistribution), ("OS_VERSION", arguments.osVersion),
         ("HTTP_PROXY", arguments["HTTP_PROXY"]), ("HTTPS_PROXY", arguments["HTTPS_PROXY"]),
         ("NO_PROXY", arguments["NO_PROXY"]), ("DRBD_VERSION", arguments["DRBD_VERSION"])]
    }

    /// The checkout's Dockerfile followed by CanvOS's OS preparation for the distribution.
    public var baseContainerfile: String {
        var text = checkoutDockerfile
        if !text.hasSuffix("\n") { text += "\n" }
        text += "\n# edgeflash: CanvOS's base-image preparation for \(arguments.osDistribution) \(arguments.osVersion) \(arguments.arch)\n"
        return text + OSPreparation.lines(arguments).joined(separator: "\n") + "\n"
    }

    /// Reads the base's systemd version as CanvOS does (0 when there is no systemctl); the last
    /// stage holds only the answer, so `--output type=local` writes one small file.
    public static let probeFileName = "systemd-version"
    public var probeContainerfile: String {
        """
        FROM \(sources.base) AS probe
        RUN SYSTEMCTL=""; for c in systemctl /usr/bin/systemctl /bin/systemctl /usr/local/bin/systemctl /usr/sbin/systemctl /sbin/systemctl /usr/local/sbin/systemctl; do if command -v "$c" >/dev/null 2>&1; then SYSTEMCTL="$c"; break; fi; done; SYSTEMD_VER=0; if [ -n "$SYSTEMCTL" ]; then SYSTEMD_VER=$("$SYSTEMCTL" --version 2>/dev/null | awk 'NR==1{print $2}') || SYSTEMD_VER=0; fi; case "$SYSTEMD_VER" in ''|*[!0-9]*) SYSTEMD_VER=0 ;; esac; echo "$SYSTEMD_VER" > /\(Self.probeFileName)
        FROM scratch
        COPY --from=probe /\(Self.probeFileName) /\(Self.probeFileName)

        """
    }

    /// Whether Kubernetes and the agent provider go into the images: forced by
    /// BUNDLE_K8S_AND_AGENT_PROVIDER=true, else when the base's systemd is older than 255.
    public func bakesKubernetes(systemdVersion: Int?) -> Bool? {
        if arguments["BUNDLE_K8S_AND_AGENT_PROVIDER"] == "true" { return true }
        return systemdVersion.map { $0 < Self.systemdExtensionsVersion }
    }

    public func labels(_ image: ProviderImage) -> [(String, String)] {
        [("io.edgeflash.k8s.distribution", arguments.k8sDistribution), ("io.edgeflash.k8s.version", image.k8sVersion),
         ("io.edgeflash.pe.version", arguments.peVersion), ("io.edgeflash.version", edgeflashVersion),
         ("io.edgeflash.arg.sha256", argFileSHA256)]
    }

    /// One provider image. `bakes` nil (the dry run, before the probe): the lines that depend on the
    /// probe are written with a comment saying so.
    public func providerContainerfile(_ image: ProviderImage, bakes: Bool?) -> String {
        let a = arguments, k8s = a.k8sDistribution, ubuntuAMD64 = a.osDistribution == "ubuntu" && a.arch == "amd64"
        var lines = ["# edgeflash: the provider image for \(k8s) \(image.k8sVersion), composed as CanvOS's provider-image target"]
        func whenBaked(_ group: [String]) -> [String] {
            switch bakes {
            case true?: group
            case false?: []
            case nil: ["# Only when the base's systemd is older than \(Self.systemdExtensionsVersion) (probed at build time) or BUNDLE_K8S_AND_AGENT_PROVIDER=true:"] + group
            }
        }
        lines += whenBaked(["FROM \(sources.provider) AS kairos-provider",
                            "# luet package k8s/\(k8s)@\(ImageSources.packageVersion(a, k8sVersion: image.k8sVersion)) of \(sources.luetRepository)",
                            "FROM \(sources.k8sPayload(a, k8sVersion: image.k8sVersion)) AS k8s-payload"])
        lines += ["FROM \(sources.stylus) AS stylus",
                  "FROM \(sources.thirdParty) AS third-party",
                  "# 80_stylus.yaml is optional in the stylus image: picked out with the base's shell.",
                  "FROM \(baseTag) AS stylus-optional",
                  "COPY --from=stylus /etc/kairos/ /stylus-kairos/",
                  "RUN mkdir -p /picked && if [ -f /stylus-kairos/80_stylus.yaml ]; then cp -a /stylus-kairos/80_stylus.yaml /picked/; fi",
                  "FROM \(baseTag)"]
        if (k8s == "kubeadm" || a["UPDATE_KERNEL"] == "true") && ubuntuAMD64 && contextFiles.kernelHeadersScript {
            lines += ["COPY scripts/install-kernel-headers.sh /tmp/install-kernel-headers.sh",
                      "RUN chmod 755 /tmp/install-kernel-headers.sh && /tmp/install-kernel-headers.sh && rm -f /tmp/install-kernel-headers.sh"]
        }
        if contextFiles.overlayEtc { lines.append("COPY overlay/files/etc/ /etc/") }
        lines.append("RUN if [ -f /etc/logrotate.d/stylus.conf ]; then chmod 644 /etc/logrotate.d/stylus.conf; fi")
        if bakes == false {
            lines.append("# systemd >= \(Self.systemdExtensionsVersion): Kubernetes and the agent provider are left out (delivered as systemd extensions)")
        }
        lines += whenBaked(["COPY --from=kairos-provider / /",
                            "# Newer providers put agent-provider-* in /usr/local/system/providers/; CanvOS moves them back.",
                            "RUN if ls /usr/local/system/providers/agent-provider-* >/dev/null 2>&1; then mkdir -p /system/providers && mv /usr/local/system/providers/agent-provider-* /system/providers/ && rm -rf /usr/local/system/providers; fi",
                            "RUN mkdir -p /etc/spectro-sysext && touch /etc/spectro-sysext/k8s-and-agent-provider-bundled"])
        lines += ["COPY --from=stylus /etc/kairos/branding /etc/kairos/branding",
                  "COPY --from=stylus-optional /picked/ /etc/kairos/",
                  "COPY --from=stylus /oem/stylus_config.yaml /etc/kairos/branding/stylus_config.yaml",
                  "COPY --from=stylus /etc/elemental/config.yaml /etc/elemental/config.yaml"]
        if let config = contextFiles.edgeCustomConfig { lines.append("COPY \(config) /oem/.edge_custom_config.yaml") }
        lines += whenBaked(["COPY --from=k8s-payload / /"])
        lines += ["RUN rm -f /etc/ssh/ssh_host_* /etc/ssh/moduli",
                  "COPY --from=third-party /binaries/etcdctl/latest/palette/\(a.arch)/etcdctl /usr/bin/",
                  "RUN touch /etc/machine-id && chmod 444 /etc/machine-id"]
        lines.append("LABEL " + labels(image).map { "\($0.0)=\(Self.quoted($0.1))" }.joined(separator: " "))
        return lines.joined(separator: "\n") + "\n"
    }

    static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
