import EdgeCore
import Testing
@testable import ISOVerify

/// Every malformed case is a precise error in the report (never a crash, hang or huge allocation).
@Suite struct MalformedImageTests {
    @Test func theFixtureItselfIsWellFormed() throws {
        let s = try FixtureImage().structure()
        #expect(s.errors.isEmpty, "\(s.errors)")
        #expect(s.sanity?.volumeID == "FIXTURE" && s.sanity?.verdict == .whole)
        #expect(s.sanity?.descriptors.primary.creationDate == "2026-11-26T21:00:00.00+00:00")
        #expect(s.bootCatalog?.entries.map(\.platform) == [.x86BIOS, .uefi])
        #expect(s.gpt?.partitions.first?.name == "ESP" && s.gpt?.backupValid == true)
        #expect(s.verdict.summary == .usbBIOSAndUEFI)
    }

    private func expectError(_ part: String, contains text: String, _ change: (inout FixtureImage) -> Void) throws {
        var image = FixtureImage()
        change(&image)
        let s = try image.structure()
        let error = try #require(s.errors[part], "no \(part) error; errors: \(s.errors)")
        #expect(error.contains(text), "\(error)")
    }

    @Test func descriptorCutShortByTheEndOfTheFile() throws {
        var image = FixtureImage()
        image.bytes.removeSubrange((16 * 2048 + 100)...)
        let s = try image.structure()
        #expect(s.errors["volume"]?.contains("primary volume descriptor") == true || s.errors["volume"]?.contains("truncated") == true,
                "\(s.errors)")
    }

    @Test func fileEndsBeforeTheDescriptors() throws {
        try expectError("volume", contains: "ends before") { $0.bytes.removeSubrange((16 * 2048)...) }
    }

    @Test func notAnISO() throws {
        try expectError("volume", contains: "not an ISO image") { $0.bytes[16 * 2048 + 1] = UInt8(ascii: "X") }
    }

    @Test func truncatedDownloadIsNamedAsSuch() throws {
        var image = FixtureImage()
        image.putBoth32(16 * 2048 + 80, 1000)
        let s = try image.structure()
        #expect(s.sanity?.verdict == .truncated)
        #expect(s.sanity?.missingBytes == Int64(1000 - FixtureImage.sectors) * 2048)
        #expect(s.sanity?.problem?.message.contains("truncated") == true)
    }

    @Test func unsupportedBlockSize() throws {
        try expectError("volume", contains: "only 2048") { $0.putLE16(16 * 2048 + 128, 512); $0.putBE16(16 * 2048 + 130, 512) }
    }

    @Test func descriptorsWithoutTerminatorStopAtTheLimit() throws {
        var image = FixtureImage()
        image.bytes += [UInt8](repeating: 0, count: 80 * 2048)
        for sector in 18..<(18 + 70) { image.descriptor(sector, type: 2) ; image.putLE16(sector * 2048 + 128, 2048) }
        let s = try image.structure()
        #expect(s.sanity?.descriptors.terminatorSector == nil)
        #expect(s.sanity?.descriptors.supplementary.count == ISO9660.maximumDescriptors - 2)
    }

    @Test func catalogValidationChecksumWrong() throws {
        try expectError("boot catalog", contains: "checksum is wrong") { $0.bytes[FixtureImage.catalogOffset + 4] = 0x41 }
    }

    @Test func catalogKeyBytesMissing() throws {
        try expectError("boot catalog", contains: "55 AA") { $0.bytes[FixtureImage.catalogOffset + 30] = 0 }
    }

    @Test func catalogHeaderIsNotAValidationEntry() throws {
        try expectError("boot catalog", contains: "expected 1") { $0.bytes[FixtureImage.catalogOffset] = 7 }
    }

    @Test func catalogSectionCountPointsPastTheEnd() throws {
        var image = FixtureImage()
        image.putLE16(FixtureImage.catalogOffset + 66, 60000)
        image.bytes.removeSubrange((FixtureImage.catalogOffset + 2048)...)
        image.putBoth32(16 * 2048 + 80, 20)
        let s = try image.structure()
        #expect(s.errors["boot catalog"]?.contains("declares 60000 entries but the catalog ends") == true, "\(s.errors)")
    }

    @Test func catalogOfEndlessSectionHeadersIsBounded() throws {
        var image = FixtureImage()
        image.bytes += [UInt8](repeating: 0, count: 40 * 2048)
        // Every 32 bytes a "more sections follow" header with zero entries, past the catalog limit.
        for o in stride(from: FixtureImage.catalogOffset + 64, to: FixtureImage.catalogOffset + 40 * 2048, by: 32) {
            image.bytes[o] = 0x90; image.bytes[o + 2] = 0; image.bytes[o + 3] = 0
        }
        let s = try image.structure()
        #expect(s.bootCatalog?.entries.count == 1)
    }

    @Test func catalogEntryWithBadBootIndicator() throws {
        try expectError("boot catalog", contains: "boot indicator 0x42") { $0.bytes[FixtureImage.catalogOffset + 32] = 0x42 }
    }

    @Test func catalogPastTheEndOfTheFile() throws {
        try expectError("boot catalog", contains: "past the end") { $0.putLE32(17 * 2048 + 71, 0x00FF_FFFF) }
    }

    @Test func gptHeaderCRCWrong() throws {
        try expectError("GPT", contains: "GPT header CRC32 is wrong") { $0.bytes[512 + 40] ^= 1 }
    }

    @Test func gptEntryArrayCRCWrong() throws {
        try expectError("GPT", contains: "entry array CRC32 is wrong") { $0.bytes[1024 + 60] ^= 1 }
    }

    @Test func gptEntryCountTooLarge() throws {
        try expectError("GPT", contains: "more than the 1 MiB allowed") { $0.putLE32(512 + 80, 0xFFFF_FFFF); $0.fixGPTCRCs() }
    }

    @Test func gptEntryArrayPastTheEnd() throws {
        try expectError("GPT", contains: "points past the end") { $0.putLE64(512 + 72, 0xFFFF_FFFF_FFFF); $0.fixGPTCRCs() }
    }

    @Test func gptHeaderSizeOutOfRange() throws {
        try expectError("GPT", contains: "must be 92-512") { $0.putLE32(512 + 12, 4096) }
    }

    @Test func gptEntrySizeNotAPowerOfTwo() throws {
        try expectError("GPT", contains: "entry size is 130") { $0.putLE32(512 + 84, 130); $0.fixGPTCRCs() }
    }

    @Test func gptBackupHeaderPastTheEnd() throws {
        var image = FixtureImage()
        image.putLE64(512 + 32, 1 << 40)
        image.fixGPTCRCs()
        let s = try image.structure()
        #expect(s.gpt?.backupPlacement == .pastEnd && s.gpt?.backupValid == false)
    }

    @Test func apmWithTooManyEntries() throws {
        try expectError("APM", contains: "declares 1000 entries") { image in
            image.putASCII(0, "ER", pad: 2); image.putBE16(2, 2048)
            image.putASCII(2048, "PM", pad: 2); image.putBE32(2048 + 4, 1000)
        }
    }

    @Test func apmEntryWithoutSignature() throws {
        try expectError("APM", contains: "entry 2 of 3 lacks its PM signature") { image in
            image.putASCII(0, "ER", pad: 2); image.putBE16(2, 2048)
            image.putASCII(2048, "PM", pad: 2); image.putBE32(2048 + 4, 3)
        }
    }

    @Test func apmWithNonsenseBlockSize() throws {
        try expectError("APM", contains: "block size of 3") { image in image.putASCII(0, "ER", pad: 2); image.putBE16(2, 3) }
    }

    @Test func imageShorterThanAnMBR() throws {
        var image = FixtureImage()
        image.bytes = Array(image.bytes.prefix(300))
        let s = try image.structure()
        #expect(s.errors["MBR"]?.contains("shorter than 512") == true)
        #expect(s.errors["volume"] != nil)
    }

    @Test func efiImageThatIsNotFAT() throws {
        var image = FixtureImage()
        image.bytes[40 * 2048 + 510] = 0
        let s = try image.structure()
        #expect(s.efiBootImages.first?.fat == nil)
        #expect(s.verdict.opticalUEFI == false)
    }

    @Test func implantedMD5Malformed() throws {
        let area = Array("ISO MD5SUM = 1234;SKIPSECTORS = 15".utf8)
        #expect(throws: EdgeError.self) { try ImplantedMD5.parse(applicationUse: area) }
        let bad = Array("ISO MD5SUM = \(String(repeating: "a", count: 32));SKIPSECTORS = -4".utf8)
        #expect(throws: EdgeError.self) { try ImplantedMD5.parse(applicationUse: bad) }
        #expect(try ImplantedMD5.parse(applicationUse: Array("nothing here".utf8)) == nil)
    }

    @Test func opticalOnlyWithoutMBR() throws {
        var image = FixtureImage()
        for i in 0..<1024 { image.bytes[i] = 0 }
        let v = try image.structure().verdict
        #expect(v.summary == .opticalOnly)
        #expect(v.refusalForRawWrite(image: "x.iso")?.exitStatus == .refused)
    }
}
