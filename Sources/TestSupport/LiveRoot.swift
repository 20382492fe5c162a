import Foundation

/// The live image fixture made by `scripts/fixtures/make-live-root.sh`: a small root filesystem
/// directory shaped like a Kairos image (`/boot/vmlinuz` and `/boot/initrd` links to a Debian
/// kernel and a busybox initramfs, `/bin/busybox`, `/etc/edgeflash-live-marker`). An ISO built from
/// it boots into `live-init.sh`, which finds the COS_LIVE volume, checks the kernel command line,
/// loop-mounts `/rootfs.squashfs` and prints the marker (see `BootReport.marker`, `cmdlineOK`).
/// Built once and cached under `<fixtures>/live`; tests read it, never change it.
public enum LiveRoot {
    public static var script: URL {
        BootFixture.repositoryRoot.appendingPathComponent("scripts/fixtures/make-live-root.sh")
    }

    /// The root filesystem directory, built on first use.
    public static func directory() throws -> URL {
        try cache.value {
            try BootFixture.runScript(script, into: BootFixture.fixturesDirectory.appendingPathComponent("live"))
        }
    }

    /// The marker file's text, without its newline: what the guest prints after `EDGEFLASH-MARKER`.
    public static func marker() throws -> String {
        let file = try directory().appendingPathComponent("etc/edgeflash-live-marker")
        return try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .newlines)
    }

    private static let cache = OnceValue<URL>()
}
