import Foundation

extension CanvOSStandIns {
    /// A Kairos base that really boots, for the whole pipeline: the `LiveRoot` fixture (Debian
    /// kernel, busybox initramfs with the live-boot /init, marker) with the 22.04 base's stand-ins
    /// (`systemctl` reporting systemd 249, so Kubernetes is baked; the OS preparation's tool stubs;
    /// busybox applets). The stand-in kernel is left out and the modules directory is named for the
    /// fixture's kernel, so the OS preparation's `/boot/vmlinuz` and `/boot/initrd` links keep
    /// pointing at the fixture's kernel and initramfs.
    public var liveBase: String { "\(publicRoot)/edge/kairos-live:22.04-core-amd64-generic" }

    /// The other stand-ins (`shared`) with `liveBase` pushed too, once per test process.
    public static let sharedWithLiveBase: Result<CanvOSStandIns, any Error> = Result {
        let standIns = try shared.get()
        let work = try TemporaryDirectory.make(prefix: "edgeflash-standins")
        defer { try? FileManager.default.removeItem(at: work) }
        let tree = try LiveRoot.directory()
        // The fixture's /boot/vmlinuz links to vmlinuz-<kernel version>.
        let kernel = try Shell.bash("k=$(readlink '\(tree.path)/boot/vmlinuz') && echo \"${k#vmlinuz-}\"")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var files = try kairosBase(systemd: systemdVersions["22.04"]!)
            .filter { !$0.key.hasPrefix("boot/") && !$0.key.hasPrefix("lib/modules/") }
        files["lib/modules/\(kernel)/modules.dep"] = .text("")
        try standIns.push(standIns.liveBase, tree: tree, files: files, in: work)
        return standIns
    }
}
