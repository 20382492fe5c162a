import EdgeCore
import FileIO
import Testing
@testable import DiskOps

/// The capacity probe on in-memory sticks (no root): an honest stick passes and keeps its bytes,
/// a counterfeit one (wrapping around, or losing writes past its real size) is found and named
/// with what it really holds, and the write engine refuses it before writing anything.
struct CapacityProbeTests {
    static let mib: Int64 = 1 << 20

    static let sizes: [Int64] = [8 << 20, 64 << 20, 3 << 30, (256 << 30) + 4096 * 3]

    @Test(arguments: sizes)
    func markersSpanTheWholeClaimedSize(size: Int64) {
        let offsets = CapacityProbe.offsets(size: size)
        #expect(offsets.first == 0)
        #expect(offsets.last == size / 4096 * 4096 - 4096, "the last 4 KiB are probed")
        #expect(offsets.allSatisfy { $0 % 4096 == 0 && $0 + 4096 <= size })
        #expect(offsets == offsets.sorted() && Set(offsets).count == offsets.count)
        #expect(offsets.contains(1 << 20) && offsets.contains { $0 > size / 2 })
        #expect(offsets.count < 64, "a bounded number of markers, whatever the size")
    }

    @Test func anHonestStickPassesAndKeepsWhatItHeld() throws {
        let stick = RecordingTarget(size: 64 * Self.mib, filledWith: 0xEE)
        let before = stick.bytes
        #expect(try CapacityProbe.run(stick) == .keepsEverything)
        #expect(stick.bytes == before, "every marker was put back")
    }

    @Test(arguments: [Int64(8 << 20), Int64(16 << 20), Int64(32 << 20)])
    func aStickThatWrapsAroundIsFoundWithItsRealSize(real: Int64) throws {
        let stick = RecordingTarget(size: 64 * Self.mib, filledWith: 0xEE, faults: .init(realSize: real))
        let before = stick.bytes
        let finding = try CapacityProbe.run(stick)
        guard case .wraps(_, _, let period) = finding else {
            Issue.record("not found: \(finding)")
            return
        }
        #expect(period == real)
        #expect(stick.bytes == before, "what it really stores is put back")
        let refusal = try #require(finding.refusal(target: stick.path, claimedSize: stick.size))
        #expect(refusal.exitStatus == .refused)
        #expect(refusal.message.contains("really holds at most \(ByteCount.human(real))"), "\(refusal.message)")
        #expect(refusal.hint?.contains("--no-probe") == true)
    }

    @Test func aStickThatLosesWritesPastItsRealSizeIsFound() throws {
        let stick = RecordingTarget(size: 64 * Self.mib, faults: .init(lostBytes: (40 * Self.mib)..<(64 * Self.mib)))
        guard case .loses(let offset, _) = try CapacityProbe.run(stick) else {
            Issue.record("not found")
            return
        }
        #expect(offset >= 40 * Self.mib)
    }

    @Test func aStickThatFailsWritesIsFound() throws {
        let stick = RecordingTarget(size: 64 * Self.mib, faults: .init(failWriteAt: 32 * Self.mib))
        guard case .loses(let offset, let detail) = try CapacityProbe.run(stick) else {
            Issue.record("not found")
            return
        }
        #expect(offset == 32 * Self.mib)
        #expect(detail.contains("writing there failed"))
    }

    /// The engine probes first: a counterfeit stick is refused with no clearing and no image byte
    /// written (only the probe's markers and their restoration).
    @Test func theEngineRefusesACounterfeitBeforeWriting() throws {
        let stick = RecordingTarget(size: 64 * Self.mib, filledWith: 0xEE, faults: .init(realSize: 16 * Self.mib))
        let before = stick.bytes
        let image = MemoryImage([UInt8](repeating: 0x5A, count: 20 << 20))
        let writer = try ImageWriter(image: image, device: stick, expected: nil, cancel: CancellationFlag(), progress: { _ in })
        let refusal = #expect(throws: EdgeError.self) { try writer.run(verify: true) }
        #expect(refusal?.code == .refused)
        #expect(stick.bytes == before)
        let sizes = Set(stick.events.compactMap { if case .write(let range, _) = $0 { range.count } else { nil } })
        #expect(sizes == [4096], "only 4 KiB markers and their restoration were written")
    }
}
