import Crypto
import Foundation

/// What `build images` builds, as Containerfile text: the base (the checkout's Dockerfile with
/// CanvOS's OS preparation after it), the systemd probe, one provider stage per Kubernetes version,
/// composed as CanvOS's `provider-image` target composes it, and the iso-image the installer ISO is
/// made from, as its `iso-image` target (both non-UKI). Pure: the dry run prints exactly what the
/// real run builds.
public struct ImageComposition: Sendable {
    /// Files of the build context (the CanvOS checkout) the provider stage copies when present.
    public struct ContextFiles: Sendable, Equatable {
        /// `overlay/files/` exists (the iso-image copies all of it).
        public var overlayFiles: Bool
        /// `overlay/files/etc/` exists (the provider stage copies only this).
        public var overlayEtc: Bool
        /// EDGE_CUSTOM_CONFIG, relative to the context, when the file exists.
        public var edgeCustomConfig: String?

        public init(overlayFiles: Bool, overlayEtc: Bool, edgeCustomConfig: String?) {
            self.overlayFiles = overlayFiles
            self.overlayEtc = overlayEtc
            self.edgeCustomConfig = edgeCustomConfig
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
        [("io.edgeflash.k8s.distribution", arguments.k8sDistribution), ("io.edgeflash.k8s.version", image.k8sVersion)]
            + commonLabels
    }

    /// The labels every image gets: what it was built from and by.
    var commonLabels: [(String, String)] {
        [("io.edgeflash.pe.version", arguments.peVersion), ("io.edgeflash.version", edgeflashVersion),
         ("io.edgeflash.arg.sha256", argFileSHA256)]
    }

    static func labelLine(_ labels: [(String, String)]) -> String {
        "LABEL " + labels.map { "\($0.0)=\(Self.quoted($0.1))" }.joined(separator: " ")
    }

    /// Steps the provider and iso images both take, as CanvOS's targets do: stylus's logrotate
    /// config made readable, no SSH host keys, and an empty read-only machine-id (each machine
    /// makes its own at first boot).
    static let hostKeysRemoved = "RUN rm -f /etc/ssh/ssh_host_* /etc/ssh/moduli"
    static let emptyMachineID = "RUN touch /etc/machine-id && chmod 444 /etc/machine-id"
    static let stylusLogrotateMode = "RUN if [ -f /etc/logrotate.d/stylus.conf ]; then chmod 644 /etc/logrotate.d/stylus.conf; fi"

    /// The iso-image, as CanvOS's `iso-image` target composes it (non-UKI): the base, the whole
    /// stylus framework image onto `/` (not only the files the provider stage picks), the whole of
    /// the checkout's `overlay/files/`, no SSH host keys, an empty read-only machine-id. CanvOS
    /// probes systemd here too, but only its UKI path uses the answer.
    public var isoImageContainerfile: String {
        var lines = ["# edgeflash: the iso-image the installer ISO is made from, composed as CanvOS's iso-image target",
                     "FROM \(sources.stylus) AS stylus",
                     "FROM \(baseTag)",
                     "COPY --from=stylus / /"]
        if contextFiles.overlayFiles { lines.append("COPY overlay/files/ /") }
        lines += [Self.stylusLogrotateMode, Self.hostKeysRemoved, Self.emptyMachineID,
                  Self.labelLine([("io.edgeflash.image", "iso-image")] + commonLabels)]
        return lines.joined(separator: "\n") + "\n"
    }

    /// One provider image. `bakes` nil (the dry run, before the probe): the lines that depend on the
    /// probe are written with a comment saying so.
    public func providerContainerfile(_ image: ProviderImage, bakes: Bool?) -> String {
        let a = arguments, k8s = a.k8sDistribution
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
                  "# etcdctl packed with upx -1 in CanvOS's alpine, as its third-party target does.",
                  "FROM \(sources.alpine) AS etcdctl",
                  "COPY --from=third-party /binaries/etcdctl/latest/palette/\(a.arch)/etcdctl /WORKDIR/etcdctl",
                  "RUN upx -1 /WORKDIR/etcdctl",
                  "# 80_stylus.yaml is optional in the stylus image: picked out with the base's shell.",
                  "FROM \(baseTag) AS stylus-optional",
                  "COPY --from=stylus /etc/kairos/ /stylus-kairos/",
                  "RUN mkdir -p /picked && if [ -f /stylus-kairos/80_stylus.yaml ]; then cp -a /stylus-kairos/80_stylus.yaml /picked/; fi",
                  "FROM \(baseTag)"]
        lines += kernelHeaderLines
        if contextFiles.overlayEtc { lines.append("COPY overlay/files/etc/ /etc/") }
        lines.append(Self.stylusLogrotateMode)
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
        lines += [Self.hostKeysRemoved,
                  "COPY --from=etcdctl /WORKDIR/etcdctl /usr/bin/",
                  Self.emptyMachineID]
        if k8s == "nodeadm" && a.osDistribution == "ubuntu" { lines += nodeadmAWSLines(k8sVersion: image.k8sVersion) }
        lines.append(Self.labelLine(labels(image)))
        return lines.joined(separator: "\n") + "\n"
    }

    static let kernelHeadersScript = "scripts/install-kernel-headers.sh"

    /// The kernel headers step: kubeadm on Ubuntu amd64 needs them; UPDATE_KERNEL=true installs
    /// the new kernel's, with the checkout's script on Ubuntu amd64, zypper on openSUSE Leap and
    /// SLES, yum on RHEL, as CanvOS's provider-image does (each falls back as CanvOS's does).
    var kernelHeaderLines: [String] {
        let a = arguments, updating = a["UPDATE_KERNEL"] == "true"
        if usesKernelHeadersScript {
            return ["COPY \(Self.kernelHeadersScript) /tmp/install-kernel-headers.sh",
                    "RUN chmod 755 /tmp/install-kernel-headers.sh && /tmp/install-kernel-headers.sh && rm -f /tmp/install-kernel-headers.sh"]
        }
        guard updating else { return [] }
        switch a.osDistribution {
        case "opensuse-leap", "sles":
            return ["# UPDATE_KERNEL=true: the devel package of the newest kernel, else the closest, else kernel-devel.",
                    #"RUN zypper --non-interactive ref && kernel=$(printf '%s\n' /lib/modules/* | xargs -n1 basename | sort -V | tail -1) && echo "kernel module: $kernel" && version=$(echo $kernel | sed 's/-default$//') && echo "kernel version: $version" && if ! zypper --non-interactive install --no-recommends kernel-default-devel-$version; then echo "Exact kernel-default-devel-$version not found, searching for closest match..."; match=$(zypper se -s kernel-default-devel | awk -F'|' '/kernel-default-devel/ && $3 ~ /^ *[0-9]/ {gsub(/^ +| +$/,"",$3); if (index($3,"'"$version"'")==1) print $3}' | sort -Vr | head -n1); if [ -n "$match" ]; then echo "Trying to install kernel-default-devel-$match"; zypper --non-interactive install --no-recommends kernel-default-devel-$match || echo "Failed to install kernel-default-devel-$match"; else echo "No matching kernel-default-devel package found, trying generic kernel-devel"; zypper --non-interactive install --no-recommends kernel-devel || echo "kernel development packages not available, continuing without them"; fi fi"#]
        case "rhel":
            return ["# UPDATE_KERNEL=true: kernel-devel of the newest kernel (UBI and EPEL repositories enabled), else any kernel-devel.",
                    #"RUN yum clean all && yum makecache && yum-config-manager --enable ubi-8-baseos-rpms ubi-8-appstream-rpms ubi-8-codeready-builder-rpms && yum install -y https://dl.fedoraproject.org/pub/epel/epel-release-latest-8.noarch.rpm || echo "EPEL repo not available" && yum makecache && kernel=$(printf '%s\n' /lib/modules/* | xargs -n1 basename | sort -V | tail -1) && echo "kernel version: $kernel" && if ! yum install -y kernel-devel-$kernel; then echo "kernel-devel-$kernel not available, trying alternative packages" && yum install -y kernel-devel || echo "Trying to install from different source..." && yum install -y gcc make || echo "kernel development packages not available, continuing without them"; fi"#]
        default:
            return []
        }
    }

    /// The checkout's kernel-header script runs for kubeadm, and for UPDATE_KERNEL=true, on Ubuntu amd64.
    var usesKernelHeadersScript: Bool {
        let a = arguments
        return (a.k8sDistribution == "kubeadm" || a["UPDATE_KERNEL"] == "true") && a.osDistribution == "ubuntu" && a.arch == "amd64"
    }

    /// nodeadm on Ubuntu: CanvOS installs AWS IAM Roles Anywhere and SSM with the provider's
    /// nodeadm, the SSM agent's package by hand (its snap needs systemd as PID 1), the AWS tools
    /// into /usr/bin (an upgrade wipes /usr/local/bin), and the unit under the snap's name nodeadm
    /// looks for. nodeadm comes with the Kairos provider image, so this needs it baked in.
    func nodeadmAWSLines(k8sVersion: String) -> [String] {
        ["# nodeadm: AWS IAM Roles Anywhere and SSM, as CanvOS installs them (nodeadm comes with the Kairos provider image).",
         #"RUN apt-get update -y && apt-get install -y gnupg && /opt/nodeadmutil/bin/nodeadm install -p iam-ra \#(k8sVersion) && /opt/nodeadmutil/bin/nodeadm install -p ssm \#(k8sVersion) && find /opt/ssm -type f -name "amazon-ssm-agent.deb" -exec sudo dpkg -i {} \; && apt-get remove gnupg -y && apt autoremove -y && mv /usr/local/bin/aws-iam-authenticator /usr/bin && mv /usr/local/bin/aws_signing_helper /usr/bin && cp /lib/systemd/system/amazon-ssm-agent.service /etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service"#]
    }

    /// The checkout's files this `.arg`'s steps copy besides the overlay and EDGE_CUSTOM_CONFIG
    /// (CanvOS's build fails without them): checked before anything runs.
    public var requiredContextFiles: [String] {
        (usesKernelHeadersScript ? [Self.kernelHeadersScript] : []) + OSPreparation.contextFiles(arguments)
    }

    static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
