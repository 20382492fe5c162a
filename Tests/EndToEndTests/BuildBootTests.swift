import Foundation
import Testing
import TestSupport

/// The proof that `build iso` makes a bootable installer: stage the boot-test installer ISO with a
/// user-data, write it to a loop device with `edgeflash write`, boot it as a USB stick under QEMU
/// (SeaBIOS and OVMF) and have the guest print /files-iso/config.yaml from the ISO volume.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct BuildBootTests {
    static let userData = """
        #cloud-config
        # staged by edgeflash build iso
        stylus:
          site:
            paletteEndpoint: api.spectrocloud.example
            name: edge-boot-proof
            registrationURL: https://edge-registration.example/
        install:
          poweroff: true

        """

    /// The Edge-shaped installer (appended ESP as GPT partition 2) is replayed whole; the
    /// grub-mkrescue one loses only its HFS+/APM Mac hybrid (xorriso 1.5.4), and must still boot.
    @Test(.enabled(if: QEMUBoot.canBoot(.bios), Comment(rawValue: QEMUBoot.missing(.bios) ?? "")),
          arguments: [BootFixture.Layout.edge, .grubMkrescue])
    func stagedISOBootsInBIOSModeAndShowsTheConfig(_ layout: BootFixture.Layout) throws {
        try stageWriteAndBoot(.bios, layout: layout)
    }

    @Test(.enabled(if: QEMUBoot.canBoot(.uefi), Comment(rawValue: QEMUBoot.missing(.uefi) ?? "")),
          arguments: [BootFixture.Layout.edge, .grubMkrescue])
    func stagedISOBootsInUEFIModeAndShowsTheConfig(_ layout: BootFixture.Layout) throws {
        try stageWriteAndBoot(.uefi, layout: layout)
    }

    private func stageWriteAndBoot(_ mode: FirmwareMode, layout: BootFixture.Layout) throws {
        let base = try BootFixture.installerISO(layout: layout)
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-build-boot")
        defer { try? FileManager.default.removeItem(at: dir) }
        let userData = dir.appendingPathComponent("user-data")
        try Data(Self.userData.utf8).write(to: userData)
        let arg = dir.appendingPathComponent(".arg")
        try Data("ISO_NAME=boot-proof\n".utf8).write(to: arg)

        let build = try EdgeFlashBinary.run(["build", "iso", "--base-iso", base.path, "--arg", arg.path,
                                             "--user-data", userData.path, "--output", dir.appendingPathComponent("build").path])
        try #require(build.status == 0, "\(build.stderr)")
        let iso = dir.appendingPathComponent("build/boot-proof.iso").path
        #expect(build.stdout.contains("HFS+") == (layout == .grubMkrescue), "\(build.stdout)")

        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        let write = try EdgeFlashBinary.run(["write", iso, loop.path, "--yes"])
        try #require(write.status == 0, "\(write.stderr)")
        #expect(write.stdout.contains("boot-proof.iso.sha256"), "write picks up the checksum build wrote: \(write.stdout)")

        let report = try QEMUBoot.boot(loop.path, mode: mode)
        print("build boot proof, \(layout), \(mode): \(Int(report.duration)) s")
        #expect(report.finished, "\(report.summary)")
        let config = try #require(report.config, "\(report.summary)")
        #expect(String(decoding: config, as: UTF8.self) == Self.userData)
    }
}
