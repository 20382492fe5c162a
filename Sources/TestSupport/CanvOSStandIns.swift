import Foundation

/// Stand-ins for the images CanvOS pulls, pushed to the shared `LocalRegistry` under the exact names
/// CanvOS would pull once `.arg` points its registry roots there (`argLines`). Built once per test
/// process with buildah from files alone (no RUN, so no container runtime is needed):
/// - two Kairos bases from Debian's static busybox, each with a `systemctl` that reports a systemd
///   version (249 as Ubuntu 22.04 has, 255 as 24.04 has), logging stubs of the tools CanvOS's OS
///   preparation calls (apt-get, dpkg, dracut...), SSH host keys and a machine-id to be removed;
/// - the k3s Kairos provider image, with `/system/providers/agent-provider-k3s`;
/// - the stylus framework image, with its branding, stylus and elemental files (`stylusFiles`);
/// - the third-party image with etcdctl, and CanvOS's alpine with an `upx` that marks what it packs;
/// - the luet repository's `k8s/k3s` packages for `k8sVersions` (one layer of files, tagged
///   `k3s-k8s-VERSION-k3s1` as luet tags package images), and a broken one for `brokenK8sVersion`.
public struct CanvOSStandIns: Sendable {
    public static let peVersion = "v4.4.12"
    public static let k8sVersions = ["1.30.2", "1.31.1", "1.32.0"]
    /// A version whose payload breaks the build: its `/bin/sh` is no program, so the provider
    /// stage's next RUN fails.
    public static let brokenK8sVersion = "1.29.9"
    /// The systemd version each Kairos base reports, by OS_VERSION.
    public static let systemdVersions = ["22.04": 249, "24.04": 255]
    /// Where the OS preparation's stubs log each call, inside the built images.
    public static let stubLog = "/var/log/canvos-stub-calls"

    /// The stylus framework image's files and their text: the provider stage picks some, the
    /// iso-image takes them all.
    public static let stylusFiles = [
        "etc/kairos/branding/grubmenu.cfg": "menuentry 'Palette eXtended Kubernetes Edge' {}\n",
        "etc/kairos/branding/interactive_install_text": "stylus stand-in\n",
        "etc/kairos/80_stylus.yaml": "name: stylus stand-in\n",
        "etc/kairos/other.yaml": "not copied by the provider stage\n",
        "oem/stylus_config.yaml": "stylus:\n  standIn: true\n",
        "etc/elemental/config.yaml": "install:\n  standIn: true\n",
        "opt/spectrocloud/bin/stylus-agent": "stylus agent stand-in, only in the iso-image\n",
    ]

    public let registry: String
    public var publicRoot: String { "\(registry)/palette-images" }
    public var luetRoot: String { "\(registry)/palette-images/edge" }
    public var thirdParty: String { "\(registry)/palette-images/third-party/spectro-third-party:4.8" }

    /// `.arg` lines that point every registry root CanvOS pins at the local registry.
    public var argLines: String {
        """
        SPECTRO_PUB_REPO=\(publicRoot)
        SPECTRO_LUET_REPO=\(luetRoot)
        SPECTRO_THIRD_PARTY_IMAGE=\(thirdParty)

        """
    }

    public func base(osVersion: String) -> String {
        "\(publicRoot)/edge/kairos-ubuntu:\(osVersion)-core-amd64-generic-v0.17.1"
    }
    public var provider: String { "\(publicRoot)/edge/kairos-io/provider-k3s:v4.10.3" }
    public var stylus: String { "\(publicRoot)/edge/stylus-framework-linux-amd64:\(Self.peVersion)" }
    public var alpine: String { "\(publicRoot)/edge/canvos/alpine:3.20" }
    /// The line the stand-in `upx -1` appends to the file it packs.
    public static let upxMark = "# packed by upx -1 (stand-in)"
    public func payload(_ k8sVersion: String) -> String { "\(luetRoot)/luet-repo-amd:k3s-k8s-\(k8sVersion)-k3s1" }

    public static let shared: Result<CanvOSStandIns, any Error> = Result {
        let registry = try LocalRegistry.shared.get()
        let standIns = CanvOSStandIns(registry: registry.address)
        try standIns.pushAll()
        return standIns
    }

    func pushAll() throws {
        let work = try TemporaryDirectory.make(prefix: "edgeflash-standins")
        defer { try? FileManager.default.removeItem(at: work) }
        for (osVersion, systemd) in Self.systemdVersions {
            try push(base(osVersion: osVersion), files: Self.kairosBase(systemd: systemd), in: work)
        }
        try push(provider, files: ["system/providers/agent-provider-k3s": .script("echo agent-provider-k3s \(provider)")], in: work)
        try push(stylus, files: Self.stylusFiles.mapValues { .text($0) }, in: work)
        try push(thirdParty, files: ["binaries/etcdctl/latest/palette/amd64/etcdctl": .script("echo etcdctl stand-in")], in: work)
        var alpineFiles = try Self.busybox(except: [])
        alpineFiles["usr/bin/upx"] = .script(#"[ "$1" = -1 ] && echo '\#(Self.upxMark)' >> "$2""#)
        try push(alpine, files: alpineFiles, in: work)
        for version in Self.k8sVersions {
            try push(payload(version), files: [
                "usr/bin/k3s": .script("echo k3s version v\(version)+k3s1"),
                "opt/k8s/k3s-\(version).manifest": .text("k8s/k3s@\(version)-k3s1\n"),
            ], in: work)
        }
        try push(payload(Self.brokenK8sVersion), files: ["bin/sh": .text("not a shell\n")], in: work)
    }

    enum File {
        case text(String), script(String), link(String)
    }

    static func kairosBase(systemd: Int) throws -> [String: File] {
        var files: [String: File] = [
            "usr/bin/systemctl": .script(#"[ "$1" = --version ] && echo "systemd \#(systemd) (\#(systemd).0-stand-in)""#),
            "etc/cos/bootargs.cfg": .text(#"set baseCmd="console=tty1 selinux=1 security=selinux""# + "\n"),
            "etc/kairos-release": .text("KAIROS_NAME=\"kairos-core-ubuntu\"\nKAIROS_IMAGE_LABEL=\"old\"\n"),
            "etc/ssh/ssh_host_ed25519_key": .text("stand-in host key\n"),
            "etc/machine-id": .text("0123456789abcdef0123456789abcdef\n"),
            "boot/vmlinuz-6.8.0-40-generic": .text("kernel stand-in\n"),
            "lib/modules/6.8.0-40-generic/modules.dep": .text(""),
            "usr/sbin/grub-editenv": .script("true"),
            "tmp/.keep": .text(""),
            "var/cache/.keep": .text(""),
            "var/log/.keep": .text(""),
        ]
        for tool in ["apt-get", "apt-mark", "dpkg", "dracut", "depmod", "journalctl", "update-ca-certificates"] {
            files["usr/bin/\(tool)"] = .script(#"echo "\#(tool) $*" >> \#(stubLog)"#)
        }
        return files.merging(try busybox(except: Set(files.keys.filter { $0.hasPrefix("usr/bin/") }.map { String($0.dropFirst(8)) })),
                             uniquingKeysWith: { ours, _ in ours })
    }

    /// Debian's static busybox as `/bin/busybox` (copied in by `push`) and its applets as links,
    /// less those named in `except` (stubs of their own elsewhere).
    static func busybox(except: Set<String>) throws -> [String: File] {
        var files: [String: File] = ["bin/busybox": .text("")]
        for applet in try Shell.run("/bin/busybox", ["--list"]).stdout.split(separator: "\n") where !except.contains(String(applet)) {
            files["bin/\(applet)"] = .link("busybox")
        }
        return files
    }

    /// Builds a `FROM scratch` image of `tree` (a directory copied as it is, if given) and `files`
    /// (which win over the tree's) with buildah, pushes it, and drops the local copy so the builds
    /// under test pull it from the registry.
    func push(_ reference: String, tree: URL? = nil, files: [String: File], in work: URL) throws {
        let context = work.appendingPathComponent(UUID().uuidString)
        let root = context.appendingPathComponent("root")
        let fm = FileManager.default
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        if let tree { try Shell.bash("cp -a '\(tree.path)/.' '\(root.path)/'") }
        for (path, file) in files {
            let url = root.appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if tree != nil { try? fm.removeItem(at: url) }
            switch file {
            case .text(let text): try Data(text.utf8).write(to: url)
            case .script(let body):
                try Data("#!/bin/sh\n\(body)\n".utf8).write(to: url)
                try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
            case .link(let target): try fm.createSymbolicLink(atPath: url.path, withDestinationPath: target)
            }
        }
        if files["bin/busybox"] != nil {
            let busybox = root.appendingPathComponent("bin/busybox")
            try fm.removeItem(at: busybox)
            try fm.copyItem(atPath: "/bin/busybox", toPath: busybox.path)
        }
        try Data("FROM scratch\nCOPY root/ /\n".utf8).write(to: context.appendingPathComponent("Containerfile"))
        try Shell.bash("buildah bud --quiet --layers=false --tag '\(reference)' '\(context.path)' >/dev/null && buildah push --quiet --tls-verify=false '\(reference)' && buildah rmi '\(reference)' >/dev/null")
    }
}
