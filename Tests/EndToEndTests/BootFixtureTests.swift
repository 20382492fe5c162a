import Testing
import Foundation
import TestSupport

/// Proves the boot-test fixture itself, before edgeflash's inject and build exist: the installer
/// ISO boots as a USB stick under SeaBIOS and OVMF, reports nothing when there is nothing, and
/// reports exactly the user-data and config.yaml put there by hand with standard tools.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct BootFixtureTests {
    @Test(arguments: FirmwareMode.allCases)
    func plainISOReportsNothing(_ mode: FirmwareMode) throws {
        try skipUnlessBootable(mode)
        try expectPlainISOReportsNothing(mode)
    }

    @Test(arguments: FirmwareMode.allCases)
    func handMadeCIDATAVolumesAreRead(_ mode: FirmwareMode) throws {
        try skipUnlessBootable(mode)
        try expectHandMadeUserData(mode)
    }

    @Test(arguments: FirmwareMode.allCases)
    func remasteredConfigIsRead(_ mode: FirmwareMode) throws {
        try skipUnlessBootable(mode)
        try expectRemasteredConfig(mode)
    }

    /// How edgeflash's boot proofs use it: the ISO written to a larger loop device (the backup
    /// GPT then sits at the image's end, not the disk's), booted from the device node.
    @Test func isoWrittenToALoopDeviceBootsInUEFIMode() throws {
        try skipUnlessBootable(.uefi)
        let iso = try BootFixture.installerISO()
        let loop = try LoopDevice(size: 64 << 20)
        defer { loop.detach() }
        try Shell.bash("dd if='\(iso.path)' of='\(loop.path)' bs=1M oflag=direct status=none")
        let report = try QEMUBoot.boot(loop.path, mode: .uefi)
        print("boot fixture: ISO on \(loop.path), uefi: \(Int(report.duration)) s")
        #expect(report.finished, "\(report.summary)")
        #expect(report.sawNoUserData, "\(report.summary)")
        #expect(report.sawNoConfig, "\(report.summary)")
    }

    /// A guest that never finishes in time is killed, and the report says so instead of hanging.
    @Test func aBootPastItsTimeoutIsKilled() throws {
        try skipUnlessBootable(.bios)
        let report = try QEMUBoot.boot(try BootFixture.installerISO().path, mode: .bios, timeout: 2)
        #expect(report.timedOut)
        #expect(!report.finished)
    }

    // MARK: - Scenarios

    /// The Edge-layout ISO as it is: no CIDATA volume, no /files-iso/config.yaml.
    private func expectPlainISOReportsNothing(_ mode: FirmwareMode) throws {
        let iso = try BootFixture.installerISO()
        let report = try QEMUBoot.boot(iso.path, mode: mode)
        print("boot fixture: plain ISO, \(mode): \(Int(report.duration)) s")
        #expect(report.finished, "\(report.summary)")
        #expect(report.sawNoUserData, "\(report.summary)")
        #expect(report.sawNoConfig, "\(report.summary)")
        #expect(report.userData.isEmpty)
        #expect(report.config == nil)
    }

    /// A grub-mkrescue ISO with three partitions appended after it with sgdisk, mkfs.fat, mtools
    /// and genisoimage: FAT32 `CIDATA`, FAT32 `CiData` (mixed case: must be ignored) and ISO9660
    /// `cidata`. The guest must print exactly the two user-data files, in partition order.
    private func expectHandMadeUserData(_ mode: FirmwareMode) throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-boot")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fat = "#cloud-config\nstylus:\n  site:\n    name: site-fat32\n    tags:\n      city: \"Zürich\"\n  \n"
        let decoy = "#cloud-config\nstylus:\n  site:\n    name: mixed-case-must-not-be-read\n"
        let iso = "#cloud-config\nstylus:\n  site:\n    name: site-iso9660\n# no newline at the end"
        for (name, text) in [("fat", fat), ("decoy", decoy), ("iso", iso)] {
            try Data(text.utf8).write(to: dir.appendingPathComponent("\(name).user-data"))
        }
        let stick = dir.appendingPathComponent("stick.img")
        try FileManager.default.copyItem(at: try BootFixture.installerISO(layout: .grubMkrescue), to: stick)
        try Shell.bash("""
            cd '\(dir.path)'
            part=$((40 * 2048))                                    # 40 MiB each, in sectors
            first=$(( ($(stat -c %s stick.img) + 1048575) / 1048576 * 2048 ))  # past the ISO, 1 MiB aligned
            truncate -s $(( (first + 3 * part + 2048) * 512 )) stick.img
            sgdisk -e stick.img >/dev/null                         # backup GPT to the new end
            for i in 0 1 2; do
              start=$((first + i * part))
              sgdisk -n 0:$start:$((start + part - 1)) -t 0:0700 stick.img >/dev/null
            done
            mkfs.fat -F 32 -S 512 -s 1 -n CIDATA --offset $first stick.img $((part / 2)) >/dev/null
            mcopy -i stick.img@@$((first * 512)) fat.user-data ::user-data
            mkfs.fat -F 32 -S 512 -s 1 -n CiData --offset $((first + part)) stick.img $((part / 2)) >/dev/null 2>&1
            mcopy -i stick.img@@$(((first + part) * 512)) decoy.user-data ::user-data
            mkdir iso && cp iso.user-data iso/user-data && echo 'instance-id: iid-local01' >iso/meta-data
            genisoimage -quiet -V cidata -J -R -o cidata.iso iso
            dd if=cidata.iso of=stick.img bs=512 seek=$((first + 2 * part)) conv=notrunc status=none
            """)

        let report = try QEMUBoot.boot(stick.path, mode: mode)
        print("boot fixture: hand-made CIDATA volumes, \(mode): \(Int(report.duration)) s")
        #expect(report.finished, "\(report.summary)")
        #expect(report.userData == [Data(fat.utf8), Data(iso.utf8)], "\(report.summary)")
        #expect(report.userDataSHA256 == [try sha256(Data(fat.utf8)), try sha256(Data(iso.utf8))])
        #expect(!report.serialText.contains("mixed-case-must-not-be-read"))
        #expect(report.sawNoConfig, "\(report.summary)")
    }

    /// The Edge-layout ISO remastered with xorriso to carry /files-iso/config.yaml, boot setup
    /// replayed: the guest must print exactly that file.
    private func expectRemasteredConfig(_ mode: FirmwareMode) throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-boot")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = "#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.example.com\n    name: staged\n"
        try Data(config.utf8).write(to: dir.appendingPathComponent("config.yaml"))
        let staged = dir.appendingPathComponent("staged.iso")
        try Shell.bash("""
            xorriso -indev '\(try BootFixture.installerISO().path)' -outdev '\(staged.path)' \
              -boot_image any replay -map '\(dir.path)/config.yaml' /files-iso/config.yaml 2>&1
            """)

        let report = try QEMUBoot.boot(staged.path, mode: mode)
        print("boot fixture: remastered config.yaml, \(mode): \(Int(report.duration)) s")
        #expect(report.finished, "\(report.summary)")
        #expect(report.config == Data(config.utf8), "\(report.summary)")
        #expect(report.configSHA256 == (try sha256(Data(config.utf8))))
        #expect(report.sawNoUserData, "\(report.summary)")
    }

    /// Skips (cancels, with the reason printed) a test or test case whose firmware is missing here.
    private func skipUnlessBootable(_ mode: FirmwareMode) throws {
        if let reason = QEMUBoot.missing(mode) {
            print("skipping the \(mode) boot: \(reason)")
            try Test.cancel(Comment(rawValue: reason))
        }
    }

    private func sha256(_ data: Data) throws -> String {
        let result = try Shell.run("sha256sum", [], stdin: data)
        return String(result.stdout.prefix(64))
    }
}
