import Testing
@testable import BuildStage

struct BaseISOCheckTests {
    static func descriptor(blocks: UInt32, blockSize: UInt16 = 2048, magic: String = "CD001") -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 2048)
        bytes[0] = 1
        bytes.replaceSubrange(1...5, with: Array(magic.utf8))
        for i in 0..<4 { bytes[80 + i] = UInt8(truncatingIfNeeded: blocks >> (8 * UInt32(i))) }
        bytes[128] = UInt8(truncatingIfNeeded: blockSize); bytes[129] = UInt8(truncatingIfNeeded: blockSize >> 8)
        return bytes
    }

    @Test func wholeImagePasses() {
        #expect(BaseISOCheck.problem(descriptor: Self.descriptor(blocks: 100), fileSize: 100 * 2048) == nil)
        #expect(BaseISOCheck.problem(descriptor: Self.descriptor(blocks: 100), fileSize: 100 * 2048 + 4096) == nil)
    }

    @Test func truncatedImageSaysBothSizes() {
        let problem = BaseISOCheck.problem(descriptor: Self.descriptor(blocks: 100), fileSize: 99 * 2048)
        #expect(problem == "is truncated: its volume descriptor says 204800 bytes, the file has 202752")
    }

    @Test func notAnISO() {
        #expect(BaseISOCheck.problem(descriptor: Self.descriptor(blocks: 100, magic: "NOPE!"), fileSize: 204800)?
            .hasPrefix("is not an ISO 9660 image") == true)
        #expect(BaseISOCheck.problem(descriptor: [], fileSize: 512)?.hasPrefix("is too small") == true)
    }
}
