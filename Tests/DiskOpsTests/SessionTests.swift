@testable import DiskOps
import EdgeCore
import Foundation
import ISOVerify
import Testing
import TestSupport

/// The write and inject sessions without the CLI: the preflight's order on recorded machines
/// (Fixtures/, as SafetyPolicyTests), the confirmation rule, interruption, and secrets kept out of
/// every error.
@Suite struct SessionPreflightTests {
    static let stick = FileStatus(kind: .blockDevice, residesOn: DeviceNumber(major: 0, minor: 6),
                                  rawDevice: DeviceNumber(major: 8, minor: 16))
    static let systemDisk = FileStatus(kind: .blockDevice, residesOn: DeviceNumber(major: 0, minor: 6),
                                       rawDevice: DeviceNumber(major: 259, minor: 0))

    /// The recorded laptop, with `target` as what stat(2) says about the device path.
    final class Machine {
        let target: FileStatus
        var reads = 0
        var events: [SessionEvent] = []
        init(target: FileStatus) { self.target = target }

        func facts(_ request: TargetRequest) throws -> TargetFacts {
            reads += 1
            var snapshot = try InventoryFixtures.snapshot("laptop")
            snapshot.mounts.removeAll { $0.mountpoint == "/boot/efi" }
            return TargetFacts(disks: Inventory.disks(from: snapshot) { _, _, _ in nil }, mounts: snapshot.mounts,
                               target: target, imageDevice: DeviceNumber(major: 254, minor: 0))
        }

        func session(_ configuration: WriteConfiguration) -> WriteSession {
            WriteSession(configuration, readFacts: facts, events: { self.events.append($0) })
        }

        var kinds: [String] { events.map { String("\($0.kind)".prefix(while: { $0 != "(" })) } }
    }

    /// A directory with: a 2 MiB raw image (no ISO volume), an empty file, a FIFO, a 1 MiB head of
    /// ipxe.iso (a truncated ISO) and a checksum file that does not parse.
    struct Files {
        let dir: URL
        var raw: String { dir.appendingPathComponent("raw.img").path }
        var empty: String { dir.appendingPathComponent("empty.img").path }
        var fifo: String { dir.appendingPathComponent("fifo.img").path }
        var truncated: String { dir.appendingPathComponent("truncated.iso").path }
        var brokenChecksum: String { dir.appendingPathComponent("broken.sha256").path }

        init() throws {
            dir = try TemporaryDirectory.make(prefix: "edgeflash-session")
            try Shell.bash("""
                cd '\(dir.path)' && head -c 2097152 /dev/urandom > raw.img && : > empty.img && mkfifo fifo.img
                head -c 1048576 '\(InstallerImages.ipxe)' > truncated.iso && echo 'not a checksum line' > broken.sha256
                """)
        }
    }

    func failure(_ body: () throws -> Void) throws -> any EdgeFlashError {
        do {
            try body()
        } catch let error as EdgeFlashError {
            return error
        }
        Issue.record("expected an error")
        throw CancellationError()
    }

    /// Each step's refusal wins over every later step's: the image, then its checksum, then the disk.
    @Test func refusalsComeInTheDocumentedOrder() throws {
        let files = try Files()
        defer { try? FileManager.default.removeItem(at: files.dir) }
        // Every case aims at the system disk with a broken checksum file: only the first problem counts.
        let cases: [(image: String, status: EdgeCore.ExitStatus, says: String)] = [
            (files.fifo, .invalidInput, "fifo.img is a pipe (FIFO), not an image file"),
            (files.dir.path, .invalidInput, "is a directory, not an image file"),
            (files.empty, .invalidInput, "empty.img is empty: nothing to write"),
            (files.truncated, .invalidInput, "truncated"),
            (files.raw, .invalidInput, "broken.sha256"),
        ]
        for c in cases {
            let machine = Machine(target: Self.systemDisk)
            let error = try failure {
                _ = try machine.session(WriteConfiguration(imagePath: c.image, devicePath: "/dev/nvme0n1",
                                                           checksum: .file(files.brokenChecksum))).prepare()
            }
            #expect(error.exitStatus == c.status, "\(c.image): \(error.message)")
            #expect(error.message.contains(c.says), "\(c.image): \(error.message)")
            #expect(machine.reads == 0, "\(c.image): the disks were read before the image was refused")
        }
        // A good image and checksum: now the disk is the problem.
        let machine = Machine(target: Self.systemDisk)
        let refusal = try failure {
            _ = try machine.session(WriteConfiguration(imagePath: files.raw, devicePath: "/dev/nvme0n1")).prepare()
        }
        #expect((refusal as? TargetRefusal)?.reason == .systemDisk)
        #expect(machine.kinds == ["imageOpened", "checksumKnown"])
    }

    @Test func anAcceptedStickIsWhatTheConfirmationDescribes() throws {
        let files = try Files()
        defer { try? FileManager.default.removeItem(at: files.dir) }
        let machine = Machine(target: Self.stick)
        let prepared = try machine.session(WriteConfiguration(imagePath: files.raw, devicePath: "/dev/sdb")).prepare()
        let question = prepared.confirmation()
        #expect(question.disk.serial == "4C530001230925117291")
        guard case .eraseAndWrite(let image, let bytes) = question.change else { Issue.record("\(question.change)"); return }
        #expect(image == files.raw && bytes == 2 << 20)
        #expect(machine.kinds == ["imageOpened", "checksumKnown", "targetAccepted"])
        #expect(machine.events.allSatisfy { $0.target == "/dev/sdb" })
        guard case .checksumKnown(nil) = machine.events[1].kind else { Issue.record("a raw image has no checksum"); return }

        // Ctrl-C before the run: nothing is touched (the recorded /dev/sdb does not exist here).
        let cancel = CancellationFlag()
        cancel.cancel()
        let interrupted = try failure { _ = try prepared.run(cancel: cancel) }
        #expect(interrupted.exitStatus == .interrupted)
        #expect(interrupted.message == "interrupted: nothing written to /dev/sdb")
    }

    /// One rule for every command that erases: the word "yes", nothing shorter.
    @Test func onlyYesConfirms() throws {
        let question = ConfirmationRequest(disk: Disk(path: "/dev/sdb", name: "sdb", size: 1 << 30),
                                           change: .eraseAndWrite(imagePath: "a.iso", imageBytes: 1))
        for answer in ["yes", " YES ", "Yes"] { try question.check(answer) }
        for (answer, says) in [("y", "not confirmed"), ("no", "not confirmed"), ("yes please", "not confirmed"),
                               ("", "not confirmed"), (nil, "no answer")] as [(String?, String)] {
            let error = try failure { try question.check(answer) }
            #expect(error.exitStatus == .notConfirmed)
            #expect(error.message == "nothing written to /dev/sdb: \(says)", "\(answer ?? "nil")")
        }
        #expect(question.noTerminal.hint?.contains("--yes") == true)
    }

    /// The secrets of the user-data never leave in an error, whichever step fails, the
    /// injector's included: here they sit in the paths it names.
    @Test func errorsComeOutScrubbed() throws {
        let secret = "PLANTED-session-secret-41c"
        let files = try Files()
        defer { try? FileManager.default.removeItem(at: files.dir) }
        let volume = UserDataVolume(request: InjectionRequest(files: [.init(name: "user-data", contents: Array("x".utf8))]),
                                    secrets: [secret])

        let missing = files.dir.appendingPathComponent("\(secret).img").path
        let injectError = try failure {
            _ = try InjectSession(InjectConfiguration(target: missing, userData: volume)).prepare().run(cancel: CancellationFlag())
        }
        #expect(injectError.message.contains("<redacted>.img does not exist"), "\(injectError.message)")
        #expect(!injectError.message.contains(secret) && injectError.hint?.contains(secret) != true)

        let emptyImage = files.dir.appendingPathComponent("\(secret).iso").path
        try Shell.bash(": > '\(emptyImage)'")
        let machine = Machine(target: Self.stick)
        let writeError = try failure {
            _ = try machine.session(WriteConfiguration(imagePath: emptyImage, devicePath: "/dev/sdb", userData: volume)).prepare()
        }
        #expect(writeError.message.hasSuffix("<redacted>.iso is empty: nothing to write"), "\(writeError.message)")
        #expect(writeError.exitStatus == .invalidInput)
    }
}

/// Sessions on image files and real loop devices.
@Suite(.serialized) struct SessionRunTests {
    static let userData = Array("#cloud-config\nstylus:\n  site:\n    edgeHostToken: tok-session-1\n".utf8)
    static let volume = UserDataVolume(
        request: InjectionRequest(files: [.init(name: "user-data", contents: userData),
                                          .init(name: "meta-data", contents: Array("instance-id: s\n".utf8))]),
        secrets: ["tok-session-1"])

    /// An image file that receives user-data becomes owner-only: it holds the site's secrets.
    @Test func injectIntoAnImageFileMakesItOwnerOnly() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-session")
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("site.img").path
        try Shell.bash("cp '\(InstallerImages.ipxe)' '\(image)' && chmod 644 '\(image)'")
        var events: [SessionEvent] = []
        let prepared = try InjectSession(InjectConfiguration(target: image, userData: Self.volume),
                                         events: { events.append($0) }).prepare()
        #expect(try prepared.confirmation() == nil, "an image file is not asked about")

        let cancel = CancellationFlag()
        cancel.cancel()
        let before = try Data(contentsOf: URL(fileURLWithPath: image))
        #expect(throws: EdgeError(.interrupted, "interrupted: \(image) was not changed")) {
            try prepared.run(cancel: cancel)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: image)) == before)

        let plan = try prepared.run(cancel: CancellationFlag())
        #expect(plan.label == "CIDATA")
        let mode = try #require(FileManager.default.attributesOfItem(atPath: image)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(events.count == 1 && events[0].target == image)
    }

    func ipxeSHA256() throws -> ExpectedChecksum {
        ExpectedChecksum(algorithm: .sha256, hex: String(try Shell.bash("sha256sum '\(InstallerImages.ipxe)'").prefix(64)),
                         source: "--sha256")
    }

    /// No room for the volume after the image on 40 MiB: `prepare` refuses, before the stick is
    /// opened for writing (it used to be refused after the image was written and read back).
    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func noRoomForTheVolumeIsRefusedByPrepare() throws {
        let loop = try LoopDevice(size: 40 << 20)
        defer { loop.detach() }
        try Shell.bash("printf 'old stick' | dd of='\(loop.path)' conv=fsync status=none")
        let session = WriteSession(WriteConfiguration(imagePath: InstallerImages.ipxe, devicePath: loop.path,
                                                      userData: Self.volume), events: { _ in })
        let error = #expect(throws: (any Error).self) { _ = try session.prepare() }
        #expect((error as? EdgeFlashError)?.exitStatus == .refused, "\(String(describing: error))")
        #expect((error as? EdgeFlashError)?.message.contains("no room") == true)
        #expect(try loop.read(offset: 0, count: 9) == Data("old stick".utf8))
    }

    /// Ctrl-C once the image is written: the volume is not started, and the stick, which holds the
    /// image but not its site's volume, is blanked like any failed write.
    @Test(.enabled(if: Privileges.isRoot, Privileges.rootReason))
    func anInterruptAfterTheWriteBlanksTheStick() throws {
        let loop = try LoopDevice(size: 128 << 20)
        defer { loop.detach() }
        let cancel = CancellationFlag()
        let session = WriteSession(WriteConfiguration(imagePath: InstallerImages.ipxe, devicePath: loop.path,
                                                      userData: Self.volume),
                                   events: { if case .written = $0.kind { cancel.cancel() } })
        let failure = #expect(throws: WriteFailure.self) { try session.prepare().run(cancel: cancel) }
        #expect(failure?.exitStatus == .interrupted)
        #expect(failure?.message.contains("the user-data volume was not added") == true)
        #expect(failure?.firstMiB == .blank)
        #expect(try loop.read(offset: 0, count: 1 << 20).allSatisfy { $0 == 0 })
        #expect(try Shell.bash("blkid -p -o export -O \(2 << 20) \(loop.path) || true").isEmpty, "no volume after the image")
    }
}
