import Testing
@testable import BuildStage

struct BootSetupTests {
    static let before = """
        El Torito catalog  : 1627  1
        El Torito cat path : /boot.catalog
        El Torito boot img :   1  BIOS  y   none  0x0000  0x00      4        2973
        El Torito boot img :   2  UEFI  y   none  0x0000  0x00   5760          72
        El Torito img path :   1  /boot/grub/i386-pc/eltorito.img
        El Torito img opts :   1  boot-info-table grub2-boot-info
        El Torito img path :   2  /efi.img
        System area summary: MBR protective-msdos-label grub2-mbr cyl-align-off GPT APM
        ISO image size/512 : 39576
        MBR partition      :   1   0x00  0xee            1        39575
        GPT disk GUID      :      990388ee46d3914cba653f85f237038e
        GPT partname local :   1  Gap0
        GPT type GUID      :   1  a2a0d0ebe5b9334487c068b6b72699c7
        GPT start and size :   1  64  224
        GPT partname local :   2  EFI boot partition
        GPT type GUID      :   2  28732ac11ff8d211ba4b00a0c93ec93b
        GPT start and size :   2  288  5760
        GPT partition path :   2  /efi.img
        GPT partname local :   3  HFSPLUS
        GPT type GUID      :   3  005346480000aa11aa1100306543ecac
        """

    @Test func movedLBAsAndSizesAreNotChanges() {
        let moved = Self.before.replacingOccurrences(of: "2973", with: "3100").replacingOccurrences(of: "1627", with: "1700")
            .replacingOccurrences(of: "39575", with: "40000").replacingOccurrences(of: "288  5760", with: "300  5760")
        #expect(BootSetup(xorriso: Self.before) == BootSetup(xorriso: moved))
    }

    @Test(arguments: [
        ("0x00      4", "0x00      8"),               // BIOS load size
        ("UEFI  y", "UEFI  n"),                       // UEFI entry no longer bootable
        ("grub2-mbr ", ""),                           // GRUB MBR code gone
        ("0x00  0xee", "0x80  0xee"),                 // MBR status
        ("28732ac11ff8d211ba4b00a0c93ec93b", "a2a0d0ebe5b9334487c068b6b72699c7"), // ESP type
        ("   2  /efi.img", "   2  /other.img"),
    ])
    func bootRelevantChangesAreCaught(_ change: (String, String)) {
        let changed = Self.before.replacingOccurrences(of: change.0, with: change.1)
        #expect(changed != Self.before)
        #expect(BootSetup(xorriso: Self.before) != BootSetup(xorriso: changed))
    }

    @Test func hfsPlusFallbackIgnoresOnlyTheMacHybrid() {
        let withoutHFS = Self.before.replacingOccurrences(of: " GPT APM", with: " GPT")
            .split(separator: "\n").filter { !$0.contains("HFSPLUS") && !$0.contains("   3  005346") }.joined(separator: "\n")
        #expect(BootSetup(xorriso: Self.before) != BootSetup(xorriso: withoutHFS))
        #expect(BootSetup(xorriso: Self.before, ignoringHFSPlus: true) == BootSetup(xorriso: withoutHFS, ignoringHFSPlus: true))
    }
}
