import Foundation
import Testing
import TestSupport

/// `edgeflash write` on sticks that fail: the fault harness (`FaultyStick`, a FUSE-served file under
/// a loop device) makes writes fail, vanish or wrap around, reads fail, the stick slow or pulled, at
/// each phase of a write. Whatever happens, a stick that was not written whole and verified never
/// looks bootable: afterwards its first MiB reads back as zeros, or the stick was not touched.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct FaultInjectionTests {
    static let mib: Int64 = 1 << 20
    static let stickSize = 64 * mib
    static let imageSize = 24 * mib
    /// Bytes a write sends before its last step: the first and last MiB cleared, then the image but
    /// its held-back first MiB. Faults armed after this hit the held-back first MiB only.
    static let beforeFirstMiB = 2 * mib + imageSize - mib

    /// ipxe.iso (a real hybrid ISO: MBR and ISO 9660 signatures, so a stick holding its first MiB
    /// looks bootable to blkid) padded with random bytes to 24 MiB: long enough for a body.
    static let image: String = {
        let dir = try! TemporaryDirectory.make(prefix: "edgeflash-faults")
        let path = dir.appendingPathComponent("installer.iso").path
        try! Shell.bash("""
            cp /usr/lib/ipxe/ipxe.iso '\(path)'
            head -c \(imageSize - 2 * mib) /dev/urandom >> '\(path)'
            """)
        return path
    }()

    enum Expected: Sendable, CustomStringConvertible {
        /// The write fails with this exit status; the stick's first MiB is zeros afterwards.
        case failsBlank(Int32, mentioning: String)
        /// Refused before anything is written: the old stick is left exactly as it was.
        case refusedUntouched(Int32, mentioning: String)
        var description: String {
            switch self {
            case .failsBlank(let status, let text): "exit \(status), '\(text)', first MiB blank"
            case .refusedUntouched(let status, let text): "exit \(status), '\(text)', old stick untouched"
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var faults: FaultyStick.Faults
        var expected: Expected
        /// The capacity probe writes markers over the whole stick first, and would refuse most of
        /// these sticks before the phase a case is about: those cases skip it (--no-probe).
        var probe = false
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "clear: the last MiB cannot be cleared",
             faults: .init(size: stickSize, failWrites: [(stickSize - mib)..<stickSize]),
             expected: .failsBlank(5, mentioning: "\(stickSize - mib)")),
        Case(name: "body: I/O error at 8 MiB",
             faults: .init(size: stickSize, failWrites: [(8 * mib)..<(9 * mib)]),
             expected: .failsBlank(5, mentioning: "\(8 * mib)")),
        Case(name: "body: writes at 8 MiB acknowledged and lost",
             faults: .init(size: stickSize, dropWrites: [(8 * mib)..<(9 * mib)]),
             expected: .failsBlank(4, mentioning: "\(8 * mib)")),
        Case(name: "read-back: I/O error reading 8 MiB",
             faults: .init(size: stickSize, failReads: [(8 * mib)..<(9 * mib)]),
             expected: .failsBlank(5, mentioning: "\(8 * mib)")),
        Case(name: "first MiB: its write fails",
             faults: .init(size: stickSize, failWrites: [0..<mib], armAfterBytes: beforeFirstMiB),
             expected: .failsBlank(5, mentioning: "/dev/loop")),
        Case(name: "first MiB: its second half is lost",
             faults: .init(size: stickSize, dropWrites: [(mib / 2)..<mib], armAfterBytes: beforeFirstMiB),
             expected: .failsBlank(4, mentioning: "differs")),
        Case(name: "first MiB: its read-back fails",
             faults: .init(size: stickSize, failReads: [0..<mib], armAfterBytes: beforeFirstMiB),
             expected: .failsBlank(5, mentioning: "/dev/loop")),
        Case(name: "fake capacity, not probed: 64 MiB claimed, 16 MiB stored",
             faults: .init(size: stickSize, stored: 16 * mib),
             expected: .failsBlank(4, mentioning: "/dev/loop")),
        Case(name: "probe: 64 MiB claimed, 16 MiB stored (wraps around)",
             faults: .init(size: stickSize, stored: 16 * mib),
             expected: .refusedUntouched(3, mentioning: "really holds at most 16.8 MB"), probe: true),
        Case(name: "probe: writes past 40 MiB acknowledged and lost",
             faults: .init(size: stickSize, dropWrites: [(40 * mib)..<stickSize]),
             expected: .refusedUntouched(3, mentioning: "does not keep what is written at byte"), probe: true),
        // The same faults on a probed stick, armed after the probe (its markers and their
        // restoration are under 1 MiB of writes): the write that follows the probe catches them.
        Case(name: "probed: writes at 8 MiB acknowledged and lost after the probe",
             faults: .init(size: stickSize, dropWrites: [(8 * mib)..<(9 * mib)], armAfterBytes: mib),
             expected: .failsBlank(4, mentioning: "\(8 * mib)"), probe: true),
        Case(name: "probed: I/O error reading 8 MiB after the probe",
             faults: .init(size: stickSize, failReads: [(8 * mib)..<(9 * mib)], armAfterBytes: mib),
             expected: .failsBlank(5, mentioning: "\(8 * mib)"), probe: true),
        Case(name: "probed: 64 MiB claimed, wraps at 20 MiB, where no two markers meet",
             faults: .init(size: stickSize, stored: 20 * mib),
             expected: .failsBlank(4, mentioning: "/dev/loop"), probe: true),
        Case(name: "probe: I/O errors from 32 MiB",
             faults: .init(size: stickSize, failWrites: [(32 * mib)..<stickSize]),
             expected: .refusedUntouched(3, mentioning: "writing there failed"), probe: true),
    ]

    /// A stick that held a bootable image before (so "untouched" and "blank" differ).
    func oldBootableStick(_ faults: FaultyStick.Faults, directIO: Bool = true) throws -> FaultyStick {
        var setup = faults
        // Faults armed from the first byte would hit this preparation too: arm them after it.
        setup.armAfterBytes = faults.armAfterBytes + 2 * Self.mib
        let stick = try FaultyStick(setup, directIO: directIO)
        try Shell.bash("dd if=/usr/lib/ipxe/ipxe.iso of=\(stick.path) bs=1M oflag=direct conv=fsync status=none")
        #expect(try Self.looksBootable(stick), "the old stick looks bootable before the test")
        return stick
    }

    /// blkid finds a partition table or a filesystem signature on the whole device.
    static func looksBootable(_ stick: FaultyStick) throws -> Bool {
        try Blkid.findsSignature(on: stick.path)
    }

    @Test(arguments: cases)
    func aFailedWriteNeverLeavesABootableLookingStick(_ scenario: Case) throws {
        let stick = try oldBootableStick(scenario.faults)
        defer { stick.detach() }
        let result = try EdgeFlashBinary.run(["write", Self.image, stick.path, "--yes"] + (scenario.probe ? [] : ["--no-probe"]))
        switch scenario.expected {
        case .failsBlank(let status, let text):
            #expect(result.status == status, "\(scenario.name): \(result.stderr)")
            #expect(result.stderr.contains(text), "\(scenario.name): \(result.stderr)")
            stick.heal()
            let first = try stick.read(offset: 0, count: Int(Self.mib))
            let blank = first.count == Int(Self.mib) && first.allSatisfy { $0 == 0 }
            let bootable = try Self.looksBootable(stick)
            #expect(blank, "\(scenario.name): the first MiB is not blank afterwards")
            #expect(!bootable, "\(scenario.name): blkid still finds a signature")
            Self.record(scenario.name, caught: result.status == status, blank: blank && !bootable)
        case .refusedUntouched(let status, let text):
            #expect(result.status == status, "\(scenario.name): \(result.stderr)")
            #expect(result.stderr.contains(text), "\(scenario.name): \(result.stderr)")
            stick.heal()
            let old = try Data(contentsOf: URL(fileURLWithPath: "/usr/lib/ipxe/ipxe.iso"))
            let untouched = try stick.read(offset: 0, count: old.count) == old
            #expect(untouched, "\(scenario.name): the old stick was changed")
            ReliabilityLedger.record("write fault", scenario.name, result.status == status ? .caught : .missed)
            ReliabilityLedger.record("write fault", scenario.name, untouched ? .leftUntouched : .leftBootable)
        }
    }

    static func record(_ name: String, caught: Bool, blank: Bool) {
        ReliabilityLedger.record("write fault", name, caught ? .caught : .missed)
        ReliabilityLedger.record("write fault", name, blank ? .leftBlank : .leftBootable)
    }

    /// The same faults, on a loop device without --direct-io (the kernel's page cache in between).
    @Test(arguments: [cases[1], cases[2]])
    func theSameWithoutDirectIOOnTheLoop(_ scenario: Case) throws {
        let stick = try oldBootableStick(scenario.faults, directIO: false)
        defer { stick.detach() }
        let result = try EdgeFlashBinary.run(["write", Self.image, stick.path, "--yes", "--no-probe"])
        guard case .failsBlank(let status, _) = scenario.expected else { return }
        #expect(result.status == status, "\(scenario.name): \(result.stderr)")
        let bootable = try Self.looksBootable(stick)
        #expect(!bootable, "\(scenario.name): blkid still finds a signature")
        Self.record(scenario.name + " (loop without direct I/O)", caught: result.status == status, blank: !bootable)
    }

    /// Ctrl-C while the stick is slow: mid-body, and while the first MiB is being written.
    @Test(arguments: [("mid-body", Int64(0), 8 * mib), ("first MiB", beforeFirstMiB, 0)])
    func interruptedWritesLeaveTheStickBlank(_ phase: String, armAfter: Int64, offset: Int64) throws {
        let stick = try oldBootableStick(.init(size: Self.stickSize, delayMilliseconds: 150, armAfterBytes: armAfter))
        defer { stick.detach() }
        let process = Process()
        process.executableURL = EdgeFlashBinary.url
        process.arguments = ["write", Self.image, stick.path, "--yes", "--no-probe"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Interrupt once the slowed phase (after `armAfter` bytes of this write) reaches `offset`.
        let already = stick.writes().count
        func reachedPhase() -> Bool {
            var sent: Int64 = 0
            for write in stick.writes().dropFirst(already) {
                if sent >= armAfter, write.lowerBound >= offset, write.lowerBound < offset + Self.mib { return true }
                sent += Int64(write.count)
            }
            return false
        }
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline, !reachedPhase() {
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.interrupt()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(phase): \(stderr)")
        #expect(stderr.contains("interrupted"), "\(phase): \(stderr)")
        let first = try stick.read(offset: 0, count: Int(Self.mib))
        let blank = first.allSatisfy { $0 == 0 }
        #expect(blank, "\(phase): the first MiB is not blank after Ctrl-C")
        Self.record("Ctrl-C on a slow stick, \(phase)", caught: process.terminationStatus == 130, blank: blank)
    }

    /// The checksum matched, then the read-back failed: the JSON result still says it matched
    /// (it used to stay "pending" when the engine failed after the match).
    @Test func aMatchedChecksumStaysMatchedWhenTheReadBackFails() throws {
        let checksum = String(try Shell.bash("sha256sum '\(Self.image)'").prefix(64))
        let stick = try oldBootableStick(.init(size: Self.stickSize, dropWrites: [(8 * Self.mib)..<(9 * Self.mib)]))
        defer { stick.detach() }
        let result = try EdgeFlashBinary.run(["write", Self.image, stick.path, "--yes", "--no-probe", "--json", "--sha256", checksum])
        #expect(result.status == 4, "\(result.stderr)")
        let last = try #require(try JSONSerialization.jsonObject(with: Data((result.stdout.split(separator: "\n").last ?? "").utf8)) as? [String: Any])
        #expect((last["checksum"] as? [String: Any])?["state"] as? String == "matched")
        #expect(last["readBack"] as? String == "mismatch")
        #expect(last["firstMiB"] as? String == "blank")
    }

    /// The last phase of `write --user-data`: the image is written and read back, then the site's
    /// volume cannot be written. The stick is not site-ready, so it is blanked like any failed
    /// write; the JSON result still says the checksum matched and the read-back passed.
    @Test func aVolumeThatCannotBeWrittenLeavesTheStickBlank() throws {
        let image = Self.image
        let checksum = String(try Shell.bash("sha256sum '\(image)'").prefix(64))
        let userData = try TemporaryDirectory.make().appendingPathComponent("user-data.yaml")
        try "#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.spectrocloud.com\n    edgeHostToken: abcdefghijklmnopqrstuvwxyz123456\n"
            .write(to: userData, atomically: true, encoding: .utf8)
        // The volume goes at the first MiB boundary after the image (24 MiB).
        let stick = try oldBootableStick(.init(size: Self.stickSize, failWrites: [(24 * Self.mib)..<(30 * Self.mib)],
                                               armAfterBytes: 2 * Self.mib + Self.imageSize))
        defer { stick.detach() }
        let result = try EdgeFlashBinary.run(["write", image, stick.path, "--yes", "--no-probe", "--json", "--sha256", checksum,
                                              "--user-data", userData.path, "--size", "36M"])
        #expect(result.status == 5, "\(result.stderr)")
        #expect(result.stderr.contains("was left blank"), "\(result.stderr)")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.split(separator: "\n").last.map { Data($0.utf8) } ?? Data())) as? [String: Any])
        #expect(last["readBack"] as? String == "matched")
        #expect((last["checksum"] as? [String: Any])?["state"] as? String == "matched")
        #expect(last["firstMiB"] as? String == "blank")
        stick.heal()
        let blank = try stick.read(offset: 0, count: Int(Self.mib)).allSatisfy { $0 == 0 }
        #expect(blank)
        Self.record("inject: the site's volume cannot be written", caught: result.status == 5, blank: blank)
    }

    /// An 8 MiB disk image with a GPT and one partition, written whole (not sparse), so a write's
    /// bytes are counted exactly: 2 MiB cleared, the 7 MiB body, the held-back first MiB (10 MiB).
    func gptDiskImage(in dir: URL) throws -> String {
        let image = dir.appendingPathComponent("disk.img").path
        try Shell.bash("""
            head -c 8M /dev/urandom > '\(image)'
            sgdisk -Z '\(image)' >/dev/null 2>&1; sgdisk -o -n1:2048:0 -t1:8300 '\(image)' >/dev/null
            """)
        return image
    }

    /// A disk image's finish that fails after its backup GPT moved to the disk's end: from then on
    /// the stick loses every write to its primary GPT header's sector, so the primary the finish
    /// writes there does not read back. The moved backup is zeroed again, so gdisk and inject find
    /// no table at the disk's end; the first MiB, which loses its zeros as well, is reported not blank.
    @Test func aFailedFinishLeavesNoBackupGPTAtTheDisksEnd() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-faults")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try gptDiskImage(in: dir)
        // The fault is armed after the write.
        let stick = try oldBootableStick(.init(size: Self.stickSize, dropWrites: [512..<1024], armAfterBytes: 10 * Self.mib))
        defer { stick.detach() }
        let result = try EdgeFlashBinary.run(["write", image, stick.path, "--yes", "--no-probe"])
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("does not read back with a valid backup header at sector 131071"), "\(result.stderr)")
        #expect(result.stderr.contains("could not be blanked"), "\(result.stderr)")
        stick.heal()
        let backup = try stick.read(offset: Self.stickSize - 33 * 512, count: 33 * 512)
        #expect(backup.count == 33 * 512 && backup.allSatisfy { $0 == 0 }, "the moved backup GPT is still at the disk's end")
    }

    /// A disk image finished (its backup GPT moved to the disk's end), then the site's volume
    /// cannot be written: the stick is blanked and the moved backup GPT zeroed too, as a failed
    /// finish's is, so gdisk and inject find no table at the disk's end.
    @Test func aVolumeThatCannotBeWrittenAfterAFinishLeavesNoBackupGPT() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-faults")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try gptDiskImage(in: dir)
        let userData = dir.appendingPathComponent("user-data.yaml")
        try "#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.spectrocloud.com\n    edgeHostToken: abcdefghijklmnopqrstuvwxyz123456\n"
            .write(to: userData, atomically: true, encoding: .utf8)
        // The write (10 MiB) and the finish pass; the volume
        // goes at 8 MiB, right after the image, and cannot be written.
        let stick = try oldBootableStick(.init(size: Self.stickSize, failWrites: [(8 * Self.mib)..<(12 * Self.mib)],
                                               armAfterBytes: 10 * Self.mib))
        defer { stick.detach() }
        let result = try EdgeFlashBinary.run(["write", image, stick.path, "--yes", "--no-probe", "--user-data", userData.path, "--size", "36M"])
        #expect(result.status == 5, "\(result.stderr)")
        #expect(result.stderr.contains("was left blank"), "\(result.stderr)")
        stick.heal()
        #expect(try stick.read(offset: 0, count: Int(Self.mib)).allSatisfy { $0 == 0 })
        let backup = try stick.read(offset: Self.stickSize - 33 * 512, count: 33 * 512)
        #expect(backup.count == 33 * 512 && backup.allSatisfy { $0 == 0 }, "the moved backup GPT is still at the disk's end")
    }

    /// The stick pulled out mid-write: the write fails, naming the device; it never reports success.
    @Test func aPulledStickFailsTheWrite() throws {
        let stick = try FaultyStick(.init(size: Self.stickSize, delayMilliseconds: 20))
        defer { stick.detach() }
        let process = Process()
        process.executableURL = EdgeFlashBinary.url
        process.arguments = ["write", Self.image, stick.path, "--yes", "--no-probe"]
        let errors = Pipe(), output = Pipe()
        process.standardError = errors
        process.standardOutput = output
        try process.run()
        stick.pull(afterWriteAt: 8 * Self.mib)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 5, "\(stderr)")
        #expect(stderr.contains(stick.path), "\(stderr)")
        #expect(!stdout.contains("Verified"), "\(stdout)")
        ReliabilityLedger.record("write fault", "stick pulled mid-body", process.terminationStatus == 5 ? .caught : .missed)
    }
}
