import Testing
import Foundation
import TestSupport

/// Proves the boot-test fixture itself, before edgeflash's inject and build exist: the installer
/// ISO boots as a USB stick under SeaBIOS and OVMF, reports nothing when there is nothing, and
/// reports exactly the user-data and config.yaml put there by hand with standard tools.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct BootFixtureTests {
    @Test(.enabled(if: QEMUBoot.canBoot(.bios), Comment(rawValue: QEMUBoot.missing(.bios) ?? "")))
    func plainISOBootsInBIOSMode() throws { try expectPlainISOReportsNothing(.bios) }

    @Test(.enabled(if: QEMUBoot.canBoot(.uefi), Comment(rawValue: QEMUBoot.missing(.uefi) ?? "")))
    func plainISOBootsInUEFIMode() throws { try expectPlainISOReportsNothing(.uefi) }

    private func expectPlainISOReportsNothing(_ mode: FirmwareMode) throws {
        let iso = try BootFixture.installerISO()
        let report = try QEMUBoot.boot(iso.path, mode: mode)
        print("boot fixture: plain ISO, \(mode): \(Int(report.duration)) s")
        #expect(report.finished, "\(report.summary)")
        #expect(report.sawNoUserData, "\(report.summary)")
        #expect(report.sawNoConfig, "\(report.summary)")
        #expect(report.userData.isEmpty)
    }
}
