import Foundation
import Testing
import TestSupport

/// Proof by boot: the fixture installer ISO is written to a loop device with
/// `edgeflash write --user-data`, the stick is booted as a USB stick under QEMU (TCG), and the guest
/// must print exactly the injected user-data, read from the CIDATA/cidata volume it found.
private let bootUserData = """
    #cloud-config
    stylus:
      site:
        edgeHostToken: boot-proof-token-9c1e
        projectName: edge
        name: boot-proof-site
        tags:
          proof: "by boot"

    """

private func writeStick(fileSystem: String, layout: BootFixture.Layout = .edge) throws -> LoopDevice {
    let iso = try BootFixture.installerISO(layout: layout)
    let loop = try LoopDevice(size: 256 << 20)
    let userData = try userDataFile(bootUserData)
    let result = try EdgeFlashBinary.run(["write", iso.path, loop.path, "--yes", "--user-data", userData,
                                          "--instance-id", "boot-proof", "--fs", fileSystem])
    if !result.succeeded { loop.detach() }
    try #require(result.succeeded, "edgeflash write --user-data failed: \(result.stderr)")
    return loop
}

private func expectGuestPrintedTheUserData(_ stick: String, mode: FirmwareMode) throws {
    let report = try QEMUBoot.boot(stick, mode: mode)
    #expect(report.finished, "\(report.summary)")
    #expect(report.userData == [Data(bootUserData.utf8)], "\(report.summary)")
}

@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason),
      .enabled(if: QEMUBoot.canBoot(.bios) && QEMUBoot.canBoot(.uefi), "needs qemu-system-x86_64 and OVMF"))
func bootedStickShowsTheInjectedUserDataBIOSAndUEFI() throws {
    // The Edge-shaped installer: GPT with the ESP appended, hybrid MBR with the boot flag forced on.
    let loop = try writeStick(fileSystem: "vfat")
    defer { loop.detach() }
    try expectGuestPrintedTheUserData(loop.path, mode: .bios)
    try expectGuestPrintedTheUserData(loop.path, mode: .uefi)
}

@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason),
      .enabled(if: QEMUBoot.canBoot(.bios) && QEMUBoot.canBoot(.uefi), "needs qemu-system-x86_64 and OVMF"))
func bootedStickShowsISO9660UserData() throws {
    let loop = try writeStick(fileSystem: "iso9660")
    defer { loop.detach() }
    try expectGuestPrintedTheUserData(loop.path, mode: .uefi)
}

@Test(.enabled(if: Privileges.isRoot, Privileges.rootReason),
      .enabled(if: QEMUBoot.canBoot(.bios) && QEMUBoot.canBoot(.uefi), "needs qemu-system-x86_64 and OVMF"))
func bootedGrubMkrescueStickShowsTheInjectedUserData() throws {
    let loop = try writeStick(fileSystem: "vfat", layout: .grubMkrescue)
    defer { loop.detach() }
    try expectGuestPrintedTheUserData(loop.path, mode: .bios)
    try expectGuestPrintedTheUserData(loop.path, mode: .uefi)
}
