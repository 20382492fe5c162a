import Foundation

/// The boot-test "installer" ISO made by `scripts/fixtures/make-boot-iso.sh`: GRUB (BIOS + UEFI),
/// a Debian kernel and a busybox initramfs that prints, on the serial console, the user-data of any
/// volume labelled CIDATA/cidata and the ISO's `/files-iso/config.yaml` (see `QEMUBoot`).
/// Built once and cached under `<repo>/.fixtures/boot` (the script rebuilds only when it changed).
public enum BootFixture {
    /// How the ISO's boot setup is laid out; both carry the same GRUB config, kernel and initramfs.
    public enum Layout: Sendable, CaseIterable {
        /// Like the Edge installer (Kairos AuroraBoot's xorriso call): volume id COS_LIVE, GRUB
        /// El Torito + hybrid MBR, the EFI partition appended as GPT partition 2, partition offset
        /// 16, MBR boot flag on. `xorriso -boot_image any replay` can remaster it.
        case edge
        /// A plain `grub-mkrescue` hybrid (protective MBR, GPT, APM, HFS+ gap partitions).
        case grubMkrescue

        var fileName: String { self == .edge ? "installer.iso" : "installer-mkrescue.iso" }
    }

    /// The repository root, found from this source file (tests run from the source tree).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()   // TestSupport
            .deletingLastPathComponent()   // Sources
            .deletingLastPathComponent()
    }

    public static var script: URL {
        repositoryRoot.appendingPathComponent("scripts/fixtures/make-boot-iso.sh")
    }

    /// Where the fixtures are cached: `EDGEFLASH_FIXTURES_DIR` when set, else `<repo>/.fixtures`.
    public static var fixturesDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["EDGEFLASH_FIXTURES_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return repositoryRoot.appendingPathComponent(".fixtures")
    }

    /// Where the ISO is cached: `<fixturesDirectory>/boot`.
    public static var cacheDirectory: URL { fixturesDirectory.appendingPathComponent("boot") }

    /// The installer ISO (volume id COS_LIVE), built on first use; throws with the script's
    /// output when the build fails.
    public static func installerISO(layout: Layout = .edge) throws -> URL {
        let edge = try cache.value { try runScript(script, into: cacheDirectory) }
        return layout == .edge ? edge : edge.deletingLastPathComponent().appendingPathComponent(layout.fileName)
    }

    /// Runs a fixture script with its output directory; the scripts print what they made last.
    static func runScript(_ script: URL, into directory: URL) throws -> URL {
        let result = try Shell.run(script.path, [directory.path])
        guard result.succeeded,
              let last = result.stdout.split(separator: "\n").last.map(String.init),
              FileManager.default.fileExists(atPath: last) else {
            throw ShellError(command: "\(script.path) \(directory.path)", result: result)
        }
        return URL(fileURLWithPath: last)
    }

    private static let cache = OnceValue<URL>()
}

/// A value computed once per process, under a lock (the script itself also locks its directory).
final class OnceValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value?

    func value(_ make: () throws -> Value) throws -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let stored { return stored }
        let made = try make()
        stored = made
        return made
    }
}
