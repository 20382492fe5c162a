@testable import DiskOps
import EdgeCore
import Foundation
import ISOVerify
import Testing
import TestSupport

/// A stick's sector 0 and GPT are hostile input: for any bytes there, planning an injection either
/// returns a plan whose tables read back with the new partition, or throws a precise EdgeError
/// (malformed, exit 6, for a damaged table; refused, exit 3), and never traps. Checked on seeded mutations of real
/// sticks after inject (MBR isohybrid, GPT hybrid), and by libFuzzer (fuzz/run.sh, target inject).
@Suite struct InjectHostileInputTests {
    static let stickSize: Int64 = 64 << 20
    static let volumeSize: Int64 = 34 << 20

    /// A stick's bytes with changes on top, read the way InjectionTarget reads a stick.
    struct Stick {
        let base: [UInt8]
        var patches: [Int: UInt8] = [:]

        func read(_ offset: Int64, _ count: Int) -> [UInt8] {
            let start = Int(min(offset, Int64(base.count))), end = Int(min(offset + Int64(count), Int64(base.count)))
            var bytes = Array(base[start..<end]) + [UInt8](repeating: 0, count: count - (end - start))
            for (at, value) in patches where at >= Int(offset) && at < Int(offset) + count { bytes[at - Int(offset)] = value }
            return bytes
        }

        mutating func write(_ bytes: [UInt8], at offset: Int) {
            for (i, b) in bytes.enumerated() { patches[offset + i] = b }
        }
    }

    static func request() -> InjectionRequest {
        InjectionRequest(size: volumeSize, files: [.init(name: "user-data", contents: Array("#cloud-config\n".utf8))])
    }

    /// `image` written to a 64 MiB stick (an image file of that size) and injected into.
    static func injectedStick(_ layout: String, in dir: URL) throws -> [UInt8] {
        let image = layout == "mbr" ? InstallerImages.ipxe : try InstallerImages.grubRescueHybrid(in: dir)
        let path = dir.appendingPathComponent("stick.img").path
        try Shell.bash("cp '\(image)' '\(path)' && truncate -s \(stickSize) '\(path)'")
        let plan = try UserDataInjector.inject(target: path, request())
        #expect(plan.layout.rawValue == layout)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Plans on `stick`; a plan's table writes, applied, must read back with its partition in them.
    /// Returns whether there was a plan.
    @discardableResult
    static func planOrPreciseError(_ stick: Stick, _ what: String) -> Bool {
        do {
            let plan = try InjectionPlanner.plan(request(), targetSize: stickSize, read: stick.read)
            var after = stick
            for write in plan.phases.dropFirst(3).joined() { after.write(write.bytes, at: Int(write.offset)) }
            let tables = try TargetTables.read(diskSize: stickSize, sectorSize: 512, read: after.read)
            #expect(tables.partitions.contains { $0.number == plan.partitionNumber && $0.first == plan.start && $0.end == plan.start + plan.size },
                    "\(what): the planned partition \(plan.partitionNumber) does not read back")
            return true
        } catch let error as EdgeError {
            #expect(!error.message.isEmpty && [EdgeError.Code.malformed, .refused].contains(error.code), "\(what): \(error)")
        } catch {
            Issue.record("\(what): unexpected \(type(of: error)): \(error)")
        }
        return false
    }

    /// Seals a GPT header at `offset` (its CRC over its declared size, 92 when that is out of range)
    /// and, when its array is on the stick, the array's CRC: so mutations reach past the CRC checks.
    static func seal(_ stick: inout Stick, headerAt offset: Int) {
        var header = stick.read(Int64(offset), 512)
        let r = ByteReader(header, structure: "test")
        guard let lba = try? r.u64le(72), let count = try? r.u32le(80), let size = try? r.u32le(84) else { return }
        let arrayBytes = Int(count) * Int(size)
        if lba < UInt64(stickSize / 512), arrayBytes <= 1 << 20 {
            header.setLE32(88, CRC32.checksum(stick.read(Int64(lba) * 512, arrayBytes)))
        }
        let declared = Int((try? r.u32le(12)) ?? 92)
        let headerSize = (92...512).contains(declared) ? declared : 92
        header.setLE32(16, 0)
        header.setLE32(16, CRC32.checksum(header[0..<headerSize]))
        stick.write(header, at: offset)
    }

    @Test(arguments: ["mbr", "gpt"])
    func mutatedSticksAfterInjectPlanOrFailPrecisely(layout: String) throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try Self.injectedStick(layout, in: dir)
        let backup = Int(Self.stickSize) - 512
        // Where the tables are: sector 0's entries, the GPT header's fields, its entry array, the
        // backup array and header at the end.
        let hotSpots = [446, 462, 478, 494, 510, 512 + 8, 512 + 24, 512 + 32, 512 + 40, 512 + 48, 512 + 72, 512 + 80,
                        1024, 1024 + 4 * 128 + 32, backup - 32 * 512 + 4 * 128, backup + 24, backup + 72, backup + 80]
        var rng = SeededRandom(state: layout == "mbr" ? 0x1B0 : 0xEE)
        var plans = 0
        let rounds = 300
        for round in 0..<rounds {
            var stick = Stick(base: base)
            for _ in 0..<(1 + rng.below(6)) {
                let spot = hotSpots[rng.below(hotSpots.count)] + rng.below(16)
                switch rng.below(4) {
                case 0: stick.write([UInt8(truncatingIfNeeded: rng.next())], at: spot)
                case 1: stick.write([[0x00, 0xFF, 0x7F, 0x80, 0xEE][rng.below(5)]], at: spot)
                case 2: stick.write([UInt8](repeating: 0xFF, count: 4), at: spot)
                default: stick.write([UInt8](repeating: 0, count: 8), at: spot)
                }
            }
            // Half the rounds re-seal the CRCs, so the fields themselves are what the planner meets.
            if rng.below(2) == 0 { Self.seal(&stick, headerAt: 512); Self.seal(&stick, headerAt: backup) }
            if Self.planOrPreciseError(stick, "\(layout) round \(round)") { plans += 1 }
        }
        // The mutations reach both outcomes: some tables stay usable, some are refused.
        #expect(plans > 0 && plans < rounds, "\(plans) plans in \(rounds) rounds")
        ReliabilityLedger.record("hostile stick tables", "mutated \(layout) stick after inject", .handled, count: rounds)
    }

    /// Issue 9's cases: GPT fields that point past the end of the stick, with no backup to fall
    /// back to. Each is a precise error naming the field, exit 6; none traps.
    @Test(arguments: [
        ("backup LBA past the end", 32, UInt64(1) << 40, "past the target's last sector"),
        ("backup LBA at the largest value", 32, UInt64.max, "past the target's last sector"),
        ("entry array past the end", 72, UInt64(1) << 40, "GPT entry array at LBA"),
        ("entry array at the largest LBA", 72, UInt64.max, "GPT entry array at LBA"),
        ("entry count huge", 80, UInt64(0xFFFF_FFFF), "more than the 1 MiB allowed"),
        ("first usable past the end", 40, UInt64.max, "first usable sector"),
    ])
    func gptFieldsPastTheEndAreErrors(_ field: String, _ offset: Int, _ value: UInt64, _ expected: String) throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        var stick = Stick(base: try Self.injectedStick("gpt", in: dir))
        var header = stick.read(512, 512)
        if offset == 80 { header.setLE32(offset, UInt32(value)) } else { header.setLE64(offset, value) }
        stick.write(header, at: 512)
        Self.seal(&stick, headerAt: 512)
        stick.write([UInt8](repeating: 0, count: 512), at: Int(Self.stickSize) - 512)
        let error = try #require(throws: EdgeError.self, "\(field)") {
            try InjectionPlanner.plan(Self.request(), targetSize: Self.stickSize, read: stick.read)
        }
        #expect(error.message.contains(expected), "\(field): \(error.message)")
        #expect(error.code == .malformed && error.exitStatus == .invalidInput, "\(field): \(error.code)")
    }

    /// A primary that points past the end, with the backup intact: the backup stands in for it,
    /// as Linux does, and the injection rewrites both.
    @Test func aPrimaryPointingPastTheEndIsRepairedFromTheBackup() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        var stick = Stick(base: try Self.injectedStick("gpt", in: dir))
        var header = stick.read(512, 512)
        header.setLE64(72, 1 << 40)
        stick.write(header, at: 512)
        Self.seal(&stick, headerAt: 512)
        let plan = try InjectionPlanner.plan(Self.request(), targetSize: Self.stickSize, read: stick.read)
        #expect(plan.layout == .gpt && plan.replacesExisting)
        Self.planOrPreciseError(stick, "repaired from the backup")
    }
}
