import EdgeCore
import Foundation
import Testing
import TestSupport
@testable import ISOVerify

/// Reading user-data from a cidata ISO 9660 volume as xorriso masters it (Joliet + Rock Ridge, as
/// inject's volumes are), and from hostile variants of it: found by name, absent as nil, anything
/// broken a `.malformed` error, never a trap or an unbounded read.
@Suite struct ISO9660RootFileTests {
    static let userData = "#cloud-config\nhostname: site-a\n"

    /// A cidata volume holding user-data and meta-data; `joliet: false` leaves only primary names
    /// (level 3, so they are not cut to 8.3: "USER_DATA.;1").
    static func volume(joliet: Bool = true) throws -> [UInt8] {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Shell.bash("""
            mkdir '\(dir.path)/root' && printf '\(userData.replacingOccurrences(of: "\n", with: "\\n"))' > '\(dir.path)/root/user-data'
            echo 'instance-id: a' > '\(dir.path)/root/meta-data'
            xorriso -as mkisofs -quiet -o '\(dir.path)/v.iso' -V cidata \(joliet ? "-joliet -rock" : "-iso-level 3") '\(dir.path)/root'
            """)
        return Array(try Data(contentsOf: dir.appendingPathComponent("v.iso")))
    }

    static func read(_ name: String, in bytes: [UInt8]) throws -> [UInt8]? {
        try ISO9660RootFile.read(named: name, limit: 1 << 20, volumeSize: Int64(bytes.count)) { offset, count in
            #expect(count <= 1 << 20)
            guard offset >= 0, offset < Int64(bytes.count) else { return [] }
            return Array(bytes[Int(offset)..<min(Int(offset) + count, bytes.count)])
        }
    }

    @Test func findsTheFilesByTheirJolietAndTheirPrimaryNames() throws {
        for joliet in [true, false] {
            let bytes = try Self.volume(joliet: joliet)
            #expect(try Self.read("user-data", in: bytes) == Array(Self.userData.utf8))
            #expect(try Self.read("meta-data", in: bytes) == Array("instance-id: a\n".utf8))
            #expect(try Self.read("vendor-data", in: bytes) == nil)
        }
    }

    @Test func anExtentPastTheVolumeIsMalformed() throws {
        var bytes = try Self.volume()
        // The Joliet descriptor's root directory extent (record at 156, LBA at +2) far past the end.
        let joliet = try #require((16..<32).first { bytes[$0 * 2048] == 2 })
        bytes.replaceSubrange((joliet * 2048 + 158)..<(joliet * 2048 + 162), with: [0xFF, 0xFF, 0xFF, 0x0F])
        #expect(throws: EdgeError.self) { try Self.read("user-data", in: bytes) }
    }

    @Test func randomDamageEndsInAnErrorOrAnAnswer() throws {
        let base = try Self.volume()
        var rng = SeededRandom(state: 10)
        // The descriptors' root records and the sectors after them, where the directories lie.
        let hotSpots: [Int] = [16 * 2048 + 156, 17 * 2048 + 156, 18 * 2048, 19 * 2048, 20 * 2048, 21 * 2048, 22 * 2048]
        for _ in 0..<300 {
            var bytes = base
            for _ in 0..<(1 + rng.below(6)) {
                let spot = hotSpots[rng.below(hotSpots.count)] + rng.below(200)
                if spot < bytes.count { bytes[spot] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            do { _ = try Self.read("user-data", in: bytes) } catch is EdgeError {}
        }
    }
}
