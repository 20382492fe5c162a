import Testing
@testable import BuildStage

struct ImageCompositionTests {
    static func arguments(_ text: String) -> BuildArguments {
        BuildArguments(ArgFile.parse("PE_VERSION=v4.4.12\nK8S_VERSION=1.30.2\n" + text, file: ".arg"))
    }

    @Test(arguments: [
        ("OS_VERSION=22", "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1"),
        ("OS_VERSION=22.04", "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1"),
        ("OS_VERSION=24.04\nARCH=arm64\nKAIROS_INIT_VERSION=v0.18.0", "us-docker.pkg.dev/palette-images/edge/kairos-ubuntu:24.04-core-arm64-generic-v0.18.0"),
        ("OS_DISTRIBUTION=opensuse-leap\nOS_VERSION=15.6\nSPECTRO_PUB_REPO=mirror.example.com/pi", "mirror.example.com/pi/edge/kairos-opensuse:leap-15.6-core-amd64-generic-v0.17.1"),
        ("KAIROS_BASE_IMAGE_URL=registry.example.com/kairos", "registry.example.com/kairos/kairos-ubuntu:22.04-core-amd64-generic-v0.17.1"),
        ("BASE_IMAGE=registry.example.com/my/base:1", "registry.example.com/my/base:1"),
    ])
    func baseIsResolvedAsCanvOSResolvesIt(_ arg: String, _ expected: String) throws {
        #expect(try #require(ImageSources(Self.arguments(arg))).base == expected)
    }

    @Test func rhelWithoutBaseImageHasNoBase() {
        #expect(ImageSources(Self.arguments("OS_DISTRIBUTION=rhel")) == nil)
    }

    @Test func pinnedSourcesDefaultToCanvOSAndFollowOverrides() throws {
        let defaults = try #require(ImageSources(Self.arguments("")))
        #expect(defaults.provider == "us-docker.pkg.dev/palette-images/edge/kairos-io/provider-k3s:v4.10.3")
        #expect(defaults.stylus == "us-docker.pkg.dev/palette-images/edge/stylus-framework-linux-amd64:v4.4.12")
        #expect(defaults.thirdParty == "us-docker.pkg.dev/palette-images/third-party/spectro-third-party:4.8")
        #expect(defaults.alpine == "us-docker.pkg.dev/palette-images/edge/canvos/alpine:3.20")
        #expect(ImageSources(Self.arguments("SPECTRO_PUB_REPO=m.example.com/p\nALPINE_TAG=3.21"))?.alpine == "m.example.com/p/edge/canvos/alpine:3.21")
        #expect(ImageSources(Self.arguments("ALPINE_IMG=m.example.com/alpine:upx"))?.alpine == "m.example.com/alpine:upx")
        #expect(ImagePull.all(Self.arguments(""), images: []).map(\.role) == ["base", "stylus", "third-party", "alpine", "provider"])
        #expect(defaults.k8sPayload(Self.arguments(""), k8sVersion: "1.30.2")
                == "us-docker.pkg.dev/palette-images/edge/luet-repo-amd:k3s-k8s-1.30.2-k3s1")
        let rke2 = Self.arguments("K8S_DISTRIBUTION=rke2\nARCH=arm64\nRKE2_FLAVOR_TAG=rke2r2\nRKE2_PROVIDER_VERSION=v9\nSPECTRO_LUET_REPO=luet.example.com/r")
        let sources = try #require(ImageSources(rke2))
        #expect(sources.provider == "us-docker.pkg.dev/palette-images/edge/kairos-io/provider-rke2:v9")
        #expect(sources.k8sPayload(rke2, k8sVersion: "1.31.1") == "luet.example.com/r/luet-repo-arm:rke2-k8s-1.31.1-rke2r2")
        let kubeadm = Self.arguments("K8S_DISTRIBUTION=kubeadm-fips")
        #expect(ImageSources(kubeadm)?.provider == "us-docker.pkg.dev/palette-images/edge/kairos-io/provider-kubeadm:v4.10.1")
        #expect(ImageSources(kubeadm)?.k8sPayload(kubeadm, k8sVersion: "1.30.2").hasSuffix(":kubeadm-fips-k8s-1.30.2") == true)
    }

    static func composition(_ arg: String, overlay: Bool = true) throws -> ImageComposition {
        let arguments = Self.arguments(arg)
        return ImageComposition(arguments: arguments, sources: try #require(ImageSources(arguments)),
                                contextFiles: .init(overlayFiles: overlay, overlayEtc: overlay, edgeCustomConfig: ".edge-custom-config.yaml"),
                                checkoutDockerfile: "ARG BASE\nFROM $BASE\nRUN true", edgeflashVersion: "0.1.0", argFileSHA256: "abc")
    }

    @Test func theSystemdProbeDecidesWhetherKubernetesIsBakedIn() throws {
        let composition = try Self.composition("")
        #expect(composition.bakesKubernetes(systemdVersion: 249) == true)
        #expect(composition.bakesKubernetes(systemdVersion: 255) == false)
        #expect(composition.bakesKubernetes(systemdVersion: nil) == nil)
        #expect(try Self.composition("BUNDLE_K8S_AND_AGENT_PROVIDER=true").bakesKubernetes(systemdVersion: 256) == true)
        let image = ProviderImage(k8sVersion: "1.30.2", reference: "r/ubuntu:k3s-1.30.2-v4.4.12-demo")
        let baked = composition.providerContainerfile(image, bakes: true)
        #expect(baked.contains("FROM us-docker.pkg.dev/palette-images/edge/kairos-io/provider-k3s:v4.10.3 AS kairos-provider\n"))
        #expect(baked.contains("COPY --from=k8s-payload / /\n"))
        let left = composition.providerContainerfile(image, bakes: false)
        #expect(!left.contains("kairos-provider") && !left.contains("k8s-payload"))
        for file in [baked, left] {
            #expect(file.contains("FROM \(composition.baseTag)\n"))
            #expect(file.contains("COPY overlay/files/etc/ /etc/\n"))
            #expect(file.contains("COPY .edge-custom-config.yaml /oem/.edge_custom_config.yaml\n"))
            #expect(file.contains("RUN rm -f /etc/ssh/ssh_host_* /etc/ssh/moduli\n"))
            #expect(file.contains("RUN touch /etc/machine-id && chmod 444 /etc/machine-id\n"))
            // etcdctl packed in CanvOS's alpine, as its third-party target does.
            #expect(file.contains("""
                FROM us-docker.pkg.dev/palette-images/edge/canvos/alpine:3.20 AS etcdctl
                COPY --from=third-party /binaries/etcdctl/latest/palette/amd64/etcdctl /WORKDIR/etcdctl
                RUN upx -1 /WORKDIR/etcdctl

                """))
            #expect(file.contains("COPY --from=etcdctl /WORKDIR/etcdctl /usr/bin/\n"))
            #expect(file.contains(#"LABEL io.edgeflash.k8s.distribution="k3s" io.edgeflash.k8s.version="1.30.2" io.edgeflash.pe.version="v4.4.12" io.edgeflash.version="0.1.0" io.edgeflash.arg.sha256="abc""#))
        }
        // The dry run marks what depends on the probe, and is otherwise the baked file.
        let dry = composition.providerContainerfile(image, bakes: nil)
        #expect(dry.split(separator: "\n").filter { !$0.hasPrefix("# Only when") } == baked.split(separator: "\n"))
    }

    @Test func theISOImageIsTheBaseWithTheWholeStylusImageAndOverlay() throws {
        let composition = try Self.composition("")
        let lines = composition.isoImageContainerfile.split(separator: "\n").map(String.init)
        #expect(Array(lines.dropFirst()) == [
            "FROM us-docker.pkg.dev/palette-images/edge/stylus-framework-linux-amd64:v4.4.12 AS stylus",
            "FROM \(composition.baseTag)",
            "COPY --from=stylus / /",
            "COPY overlay/files/ /",
            "RUN if [ -f /etc/logrotate.d/stylus.conf ]; then chmod 644 /etc/logrotate.d/stylus.conf; fi",
            "RUN rm -f /etc/ssh/ssh_host_* /etc/ssh/moduli",
            "RUN touch /etc/machine-id && chmod 444 /etc/machine-id",
            #"LABEL io.edgeflash.image="iso-image" io.edgeflash.pe.version="v4.4.12" io.edgeflash.version="0.1.0" io.edgeflash.arg.sha256="abc""#,
        ])
        // Neither Kubernetes nor the provider's picks: the same whatever the probe says.
        #expect(!composition.isoImageContainerfile.contains("k8s-payload") && !composition.isoImageContainerfile.contains("etcdctl"))
        #expect(!(try Self.composition("", overlay: false)).isoImageContainerfile.contains("overlay/"))
    }

    static let image = ProviderImage(k8sVersion: "1.30.2", reference: "r/x:y")

    @Test func kernelHeadersAreInstalledForKubeadmAndUpdateKernelPerDistribution() throws {
        let script = "COPY scripts/install-kernel-headers.sh /tmp/install-kernel-headers.sh"
        for arg in ["K8S_DISTRIBUTION=kubeadm", "UPDATE_KERNEL=true"] {
            let composition = try Self.composition(arg)
            #expect(composition.providerContainerfile(Self.image, bakes: true).contains(script + "\n"))
            #expect(composition.requiredContextFiles == ["scripts/install-kernel-headers.sh"])
        }
        #expect(try Self.composition("").requiredContextFiles.isEmpty)
        #expect(try !Self.composition("").providerContainerfile(Self.image, bakes: true).contains("kernel"))
        // Ubuntu arm64 has no step, as in CanvOS.
        #expect(try !Self.composition("UPDATE_KERNEL=true\nARCH=arm64").providerContainerfile(Self.image, bakes: true).contains("kernel-headers"))
        for arg in ["OS_DISTRIBUTION=opensuse-leap\nOS_VERSION=15.6", "OS_DISTRIBUTION=sles\nBASE_IMAGE=r/sles:15"] {
            let updating = try Self.composition(arg + "\nUPDATE_KERNEL=true").providerContainerfile(Self.image, bakes: true)
            #expect(updating.contains("RUN zypper --non-interactive ref && kernel=$(printf '%s\\n' /lib/modules/*"))
            #expect(updating.contains("zypper --non-interactive install --no-recommends kernel-default-devel-$version"))
            #expect(!updating.contains(script))
            #expect(try !Self.composition(arg).providerContainerfile(Self.image, bakes: true).contains("kernel-default-devel"))
        }
        let rhel = try Self.composition("OS_DISTRIBUTION=rhel\nBASE_IMAGE=r/rhel:8\nUPDATE_KERNEL=true").providerContainerfile(Self.image, bakes: true)
        #expect(rhel.contains("RUN yum clean all && yum makecache && yum-config-manager --enable ubi-8-baseos-rpms"))
        #expect(rhel.contains("if ! yum install -y kernel-devel-$kernel; then"))
    }

    @Test func nodeadmOnUbuntuGetsCanvOSsAWSSteps() throws {
        let nodeadm = try Self.composition("K8S_DISTRIBUTION=nodeadm").providerContainerfile(Self.image, bakes: true)
        let lines = nodeadm.split(separator: "\n")
        let aws = try #require(lines.firstIndex { $0.hasPrefix("RUN apt-get update -y && apt-get install -y gnupg && /opt/nodeadmutil/bin/nodeadm install -p iam-ra 1.30.2 && /opt/nodeadmutil/bin/nodeadm install -p ssm 1.30.2 && ") })
        #expect(lines[aws].hasSuffix("cp /lib/systemd/system/amazon-ssm-agent.service /etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service"))
        #expect(lines[aws].contains(#"-exec sudo dpkg -i {} \; "#))
        // After the machine-id, as CanvOS runs it; only Ubuntu and nodeadm.
        #expect(try #require(lines.firstIndex(of: "RUN touch /etc/machine-id && chmod 444 /etc/machine-id")) < aws)
        let leap = try Self.composition("K8S_DISTRIBUTION=nodeadm\nOS_DISTRIBUTION=opensuse-leap\nOS_VERSION=15.6")
        #expect(!leap.providerContainerfile(Self.image, bakes: true).contains("nodeadm install"))
        #expect(try !Self.composition("").providerContainerfile(Self.image, bakes: true).contains("nodeadm"))
    }

    @Test func aJetsonBaseGetsCanvOSsMountConfig() throws {
        let jetson = try Self.composition("BASE_IMAGE=r/edge/ubuntu:20.04-nvidia-jetson-agx-orin-1")
        let base = jetson.baseContainerfile
        let copy = try #require(base.range(of: "\nCOPY cloudconfigs/mount.yaml /etc/kairos/mount.yaml\n"))
        #expect(base.range(of: "RUN true\n")!.upperBound <= copy.lowerBound)
        #expect(copy.upperBound <= base.range(of: "xhci_pci_renesas")!.lowerBound)
        #expect(jetson.requiredContextFiles == ["cloudconfigs/mount.yaml"])
        #expect(try !Self.composition("BASE_IMAGE=r/edge/ubuntu:22.04").baseContainerfile.contains("mount.yaml"))
    }

    @Test func theBaseIsTheCheckoutsDockerfileThenCanvOSsPreparation() throws {
        let ubuntu = try Self.composition("").baseContainerfile
        #expect(ubuntu.hasPrefix("ARG BASE\nFROM $BASE\nRUN true\n"))
        #expect(ubuntu.contains("apt-get install --no-install-recommends snapd"))
        #expect(ubuntu.contains(#"apt-mark hold "linux-image-generic-hwe-22""#))
        let updating = try Self.composition("UPDATE_KERNEL=true\nCIS_HARDENING=true").baseContainerfile
        #expect(updating.contains("apt-get install -y linux-image-generic-hwe-22\n"))
        #expect(updating.contains("COPY cis-harden/harden.sh /tmp/harden.sh\n"))
        #expect(try Self.composition("CIS_HARDENING=true").requiredContextFiles == ["cis-harden/harden.sh"])
        let leap = try Self.composition("OS_DISTRIBUTION=opensuse-leap\nOS_VERSION=15.6").baseContainerfile
        #expect(leap.contains("RUN zypper al kernel-de*\n") && !leap.contains("apt-get"))
        #expect(leap.contains(#"KAIROS_IMAGE_LABEL="15.6-standard-amd64-generic""#))
    }

    @Test(arguments: [("localhost:5000/x", true), ("127.0.0.1:5000/a/b:1", true), ("127.1.2.3/x", true), ("[::1]:5000/x", true),
                      ("registry.example.com/x", false), ("ttl.sh/x", false), ("127.0.0.1.example.com/x", false), ("ubuntu:22.04", false)])
    func loopbackRegistriesAreFound(_ reference: String, _ loopback: Bool) {
        #expect(RegistryHost.isLoopback(reference: reference) == loopback)
    }

    @Test func enginesSpellPullBuildAndPushTheirOwnWay() {
        let podman = EngineCommands(engine: .podman, arch: "arm64", chrootIsolation: true)
        #expect(podman.pull("127.0.0.1:5000/b:1") == ["podman", "pull", "--tls-verify=false", "--arch", "arm64", "--os", "linux", "127.0.0.1:5000/b:1"])
        #expect(podman.pull("registry.example.com/b:1") == ["podman", "pull", "--arch", "arm64", "--os", "linux", "registry.example.com/b:1"])
        #expect(podman.build(file: "F", context: "C", tag: "T", arguments: [("BASE", "b")]) ==
                ["podman", "build", "--isolation", "chroot", "--pull=never", "--layers", "--force-rm", "--platform", "linux/arm64",
                 "--build-arg", "BASE=b", "--tag", "T", "--file", "F", "C"])
        #expect(EngineCommands(engine: .buildah, arch: "amd64").build(file: "F", context: "C", tag: nil, output: "O").prefix(2) == ["buildah", "bud"])
        #expect(podman.push("localhost/x:1", digestFile: "D") == ["podman", "push", "--tls-verify=false", "--digestfile", "D", "localhost/x:1"])
        let docker = EngineCommands(engine: .docker, arch: "amd64")
        #expect(docker.pull("127.0.0.1:5000/b:1") == ["docker", "pull", "--platform", "linux/amd64", "127.0.0.1:5000/b:1"])
        #expect(docker.push("127.0.0.1:5000/b:1", digestFile: "D") == ["docker", "push", "127.0.0.1:5000/b:1"])
        #expect(ImageBuilder.dockerDigest("1.30: digest: sha256:\(String(repeating: "a", count: 64)) size: 528") == "sha256:" + String(repeating: "a", count: 64))
    }

    @Test func displayQuotesAndRedactsProxyPasswords() {
        let shown = EngineCommands.display(["buildah", "bud", "--build-arg", "HTTP_PROXY=http://bob:s3cret@proxy.example.com:3128", "my dir"])
        #expect(shown == "buildah bud --build-arg HTTP_PROXY=http://bob:REDACTED@proxy.example.com:3128 'my dir'")
    }

    @Test func detectPrefersADockerDaemonThenPodmanThenBuildah() {
        let all = { (tool: String) in "/usr/bin/\(tool)" }
        #expect(ContainerEngine.detect(find: all, dockerAnswers: { _ in true }) == .docker)
        #expect(ContainerEngine.detect(find: all, dockerAnswers: { _ in false }) == .podman)
        #expect(ContainerEngine.detect(find: { $0 == "podman" ? nil : all($0) }, dockerAnswers: { _ in false }) == .buildah)
        #expect(ContainerEngine.detect(find: { $0 == "docker" ? all($0) : nil }, dockerAnswers: { _ in false }) == .docker)
        #expect(ContainerEngine.detect(find: { _ in nil }, dockerAnswers: { _ in true }) == nil)
    }
}
