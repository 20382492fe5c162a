import EdgeCore
import Foundation
import Testing
import TestSupport
@testable import ISOVerify

/// Property: for any bytes, reading an image's structures ends, throws only EdgeError, and
/// reads only bounded amounts. Checked on seeded random mutations of the byte fixture and of real
/// ISOs' leading bytes (deterministic, bounded: it runs in every CI run), and by libFuzzer through
/// fuzz/run.sh for a bounded time.
@Suite struct HostileInputTests {
    /// Reads through the hook, recording the largest single request.
    static func read(_ bytes: [UInt8]) throws -> (ImageStructure, Int) {
        var largest = 0
        let s = try ImageStructure.read(size: Int64(bytes.count), path: "mutant") { offset, count in
            largest = max(largest, count)
            guard offset >= 0, offset < Int64(bytes.count), count > 0 else { return [] }
            return Array(bytes[Int(offset)..<min(Int(offset) + count, bytes.count)])
        }
        return (s, largest)
    }

    /// Mutations aimed where the parsers look: descriptors, catalog, MBR, GPT header and entries.
    static func mutate(_ base: [UInt8], _ rng: inout SeededRandom, hotSpots: [Int]) -> [UInt8] {
        var bytes = base
        for _ in 0..<(1 + rng.below(8)) {
            let spot = hotSpots[rng.below(hotSpots.count)] + rng.below(128)
            guard spot < bytes.count else { continue }
            switch rng.below(4) {
            case 0: bytes[spot] = UInt8(truncatingIfNeeded: rng.next())
            case 1: bytes[spot] = [0x00, 0xFF, 0x7F, 0x80][rng.below(4)]
            case 2: for i in spot..<min(spot + 4, bytes.count) { bytes[i] = 0xFF }
            default: bytes.removeSubrange(min(spot, bytes.count)...)   // truncate here
            }
        }
        return bytes
    }

    static let hotSpots = [0, 0x1B0, 446, 510, 512, 512 + 72, 1024, 16 * 2048, 16 * 2048 + 80, 16 * 2048 + 128,
                           17 * 2048, 17 * 2048 + 64, 19 * 2048, 19 * 2048 + 32, 19 * 2048 + 64, 40 * 2048]

    @Test func mutatedFixturesNeverEscapeAsAnythingButPreciseErrors() throws {
        var rng = SeededRandom(state: 0x5EED_0001)
        let base = FixtureImage().bytes
        for round in 0..<3000 {
            let mutant = Self.mutate(base, &rng, hotSpots: Self.hotSpots)
            do {
                let (s, largest) = try Self.read(mutant)
                #expect(largest <= GPT.maximumEntryArrayBytes, "round \(round): read \(largest) bytes at once")
                _ = s.verdict
                for message in s.errors.values { #expect(!message.isEmpty) }
            } catch is EdgeError {
                // A precise error is fine.
            } catch {
                Issue.record("round \(round): unexpected \(type(of: error)): \(error)")
            }
        }
        ReliabilityLedger.record("hostile image bytes", "mutated fixture ISO", .handled, count: 3000)
    }

    @Test(arguments: ["/usr/lib/ipxe/ipxe.iso", "/usr/lib/grub-rescue/grub-rescue-cdrom.iso"])
    func mutatedRealISOsToo(path: String) throws {
        let base = Array(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(512 * 1024))
        let (real, _) = try Self.read(base)
        let catalog = Int(real.bootCatalog?.sector ?? 19) * 2048
        var rng = SeededRandom(state: UInt64(path.utf8.count) &* 0x9E37_79B9)
        for round in 0..<500 {
            let mutant = Self.mutate(base, &rng, hotSpots: Self.hotSpots + [catalog, catalog + 32, catalog + 64])
            do { _ = try Self.read(mutant).0.verdict } catch is EdgeError {} catch {
                Issue.record("round \(round): unexpected \(error)")
            }
        }
        ReliabilityLedger.record("hostile image bytes", "mutated \((path as NSString).lastPathComponent)", .handled, count: 500)
    }

    @Test func byteReaderNeverReadsOutOfBounds() {
        var rng = SeededRandom(state: 42)
        for _ in 0..<2000 {
            let bytes = (0..<rng.below(40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let r = ByteReader(bytes, structure: "random")
            let offset = rng.below(60) - 10, length = rng.below(60) - 10
            let fits = offset >= 0 && length >= 0 && offset + length <= bytes.count
            #expect((try? r.slice(offset, length)) != nil || !fits)
            #expect((try? r.u64le(offset)) == nil || (offset >= 0 && offset + 8 <= bytes.count))
        }
    }

    /// libFuzzer for a bounded time (fuzz/run.sh, both targets): needs swiftc with -sanitize=fuzzer.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["EDGEFLASH_SKIP_FUZZ"] == nil,
                   "EDGEFLASH_SKIP_FUZZ is set"))
    func libFuzzerRunsCleanForABoundedTime() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let result = try Shell.run("/bin/bash", [root.appendingPathComponent("fuzz/run.sh").path, "30"])
        #expect(result.succeeded, "\(result.stdout)\(result.stderr)")
        // Both targets ran: the image parsers, and inject's planning over a stick's tables.
        for target in ["fuzz-image", "fuzz-inject"] {
            let section = result.stdout.components(separatedBy: "== \(target)").dropFirst().first ?? ""
            #expect(section.contains("Done ") && section.contains("runs in"), "\(target): \(result.stdout)")
        }
    }
}
