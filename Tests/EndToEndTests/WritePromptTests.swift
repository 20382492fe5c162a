import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The confirmation question as a technician meets it: stdin is a terminal (a pseudo-terminal
/// here), stderr is read back. Whatever the answer, a refused write leaves the disk as it was.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct WritePromptTests {
    static let ipxe = "/usr/lib/ipxe/ipxe.iso"
    static let question = "Type yes to continue: "

    /// A pseudo-terminal: the child gets the follower side as stdin, the test types on the leader.
    final class PseudoTerminal {
        let leader: Int32
        let follower: FileHandle

        // Glibc's module hides the XSI pseudo-terminal calls (they need _XOPEN_SOURCE): looked up.
        static func libc<T>(_ name: String, as type: T.Type) -> T {
            unsafeBitCast(dlsym(dlopen(nil, RTLD_NOW), name), to: type)
        }

        init() throws {
            typealias OnFD = @convention(c) (Int32) -> Int32
            let openpt = Self.libc("posix_openpt", as: OnFD.self)
            let grantpt = Self.libc("grantpt", as: OnFD.self), unlockpt = Self.libc("unlockpt", as: OnFD.self)
            let ptsname = Self.libc("ptsname", as: (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self)
            leader = openpt(O_RDWR | O_NOCTTY)
            guard leader >= 0, grantpt(leader) == 0, unlockpt(leader) == 0, let name = ptsname(leader) else {
                throw SimpleTestError("no pseudo-terminal: errno \(errno)")
            }
            let fd = open(name, O_RDWR | O_NOCTTY)
            guard fd >= 0 else { throw SimpleTestError("cannot open \(String(cString: name)): errno \(errno)") }
            follower = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        }

        func type(_ text: String) {
            _ = Array(text.utf8).withUnsafeBytes { write(leader, $0.baseAddress, $0.count) }
        }

        deinit { close(leader) }
    }

    struct SimpleTestError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    struct Answered {
        let status: Int32
        let exited: Bool
        let stderr: String
    }

    /// Runs `write` on a terminal, waits for the question, then `respond`s (types or signals).
    func answer(device: String, arguments: [String]? = nil,
                _ respond: (PseudoTerminal, Process) -> Void) throws -> Answered {
        let terminal = try PseudoTerminal()
        let process = Process()
        process.executableURL = EdgeFlashBinary.url
        process.arguments = arguments ?? ["write", Self.ipxe, device]
        let err = Pipe()
        process.standardInput = terminal.follower
        process.standardOutput = Pipe()
        process.standardError = err
        try process.run()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).hasSuffix(Self.question) {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        respond(terminal, process)
        seen.append(err.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        return Answered(status: process.terminationStatus, exited: process.terminationReason == .exit,
                        stderr: String(decoding: seen, as: UTF8.self))
    }

    @Test func noIsNotConfirmed() throws {
        let loop = try oldStick()
        defer { loop.detach() }
        let result = try answer(device: loop.path) { terminal, _ in terminal.type("no\n") }
        #expect(result.status == 7)
        #expect(result.stderr.contains("nothing written to \(loop.path): not confirmed"), "\(result.stderr)")
        #expect(try stillOld(loop))
    }

    /// A stable name (a /dev/disk/by-id link; no udev here, so a link of the same shape in a
    /// temporary directory) is shown with the disk it resolves to, which is what is confirmed.
    @Test func aByIDLinkIsShownResolved() throws {
        let loop = try oldStick()
        defer { loop.detach() }
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-by-id")
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("usb-Edge_Stick_0123456789-0:0").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: loop.path)
        let result = try answer(device: loop.path, arguments: ["write", Self.ipxe, link]) { terminal, _ in terminal.type("no\n") }
        #expect(result.status == 7)
        #expect(result.stderr.contains("This ERASES everything on \(link) → \(loop.path):"), "\(result.stderr)")
        #expect(try stillOld(loop))
    }

    /// Was: the error was printed on the question's line ("Type yes to continue: edgeflash: ...").
    @Test func ctrlDEndsTheQuestionLineAndSaysNoAnswer() throws {
        let loop = try oldStick()
        defer { loop.detach() }
        let result = try answer(device: loop.path) { terminal, _ in terminal.type("\u{04}") }
        #expect(result.status == 7)
        #expect(result.stderr.contains(Self.question + "\nedgeflash: nothing written to \(loop.path): no answer"),
                "\(result.stderr)")
        #expect(try stillOld(loop))
    }

    /// Was: the process died of SIGINT after "^C" without a word.
    @Test func ctrlCSaysNothingWasWrittenAndExits130() throws {
        let loop = try oldStick()
        defer { loop.detach() }
        let result = try answer(device: loop.path) { _, process in
            // Repeated while it runs, until one is taken (the trap is armed before the question).
            for _ in 0..<100 where process.isRunning {
                kill(process.processIdentifier, SIGINT)
                usleep(100_000)
            }
            // Still waiting for an answer (SIGINT ignored, as in a background job): fail, not hang.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        #expect(result.exited)
        #expect(result.status == 130)
        #expect(result.stderr.contains("nothing written to \(loop.path): interrupted"), "\(result.stderr)")
        #expect(try stillOld(loop))
    }

    /// A 128 MiB stick with ipxe.iso written to it, the rest zeros: for `inject`.
    func writtenStick() throws -> LoopDevice {
        let loop = try LoopDevice(size: 128 << 20)
        try Shell.bash("dd if='\(Self.ipxe)' of='\(loop.path)' conv=fsync status=none")
        return loop
    }

    /// No volume was added: everything after the image is still zeros.
    func nothingAfterTheImage(_ loop: LoopDevice) throws -> Bool {
        try Shell.run("cmp", ["-n", "\((128 << 20) - 2_097_152)", "-i", "2097152:0", loop.path, "/dev/zero"]).succeeded
    }

    /// `inject` asks the same way: Ctrl-D ends the question's line, and the disk is left alone.
    @Test func injectCtrlDEndsTheQuestionLine() throws {
        let loop = try writtenStick()
        defer { loop.detach() }
        let arguments = ["inject", loop.path, "--user-data", try userDataFile(validUserData)]
        let result = try answer(device: loop.path, arguments: arguments) { terminal, _ in terminal.type("\u{04}") }
        #expect(result.status == 7)
        #expect(result.stderr.contains(Self.question + "\nedgeflash: nothing written to \(loop.path): no answer"), "\(result.stderr)")
        #expect(try nothingAfterTheImage(loop))
    }

    /// One rule for every command that erases: `inject` took "y" once; now only "yes" confirms,
    /// and the question says where the volume goes.
    @Test func injectRefusesYAndTakesYes() throws {
        let loop = try writtenStick()
        defer { loop.detach() }
        let arguments = ["inject", loop.path, "--user-data", try userDataFile(validUserData)]
        let refused = try answer(device: loop.path, arguments: arguments) { terminal, _ in terminal.type("y\n") }
        #expect(refused.status == 7)
        #expect(refused.stderr.contains("It adds a CIDATA volume (vfat, 64 MiB) at byte 2097152"), "\(refused.stderr)")
        #expect(refused.stderr.contains("nothing written to \(loop.path): not confirmed"), "\(refused.stderr)")
        #expect(try nothingAfterTheImage(loop))

        let accepted = try answer(device: loop.path, arguments: arguments) { terminal, _ in terminal.type("yes\n") }
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(try Shell.bash("blkid -p -o export -O \(2 << 20) \(loop.path)").contains("LABEL=CIDATA"))
    }

    @Test func yesWrites() throws {
        let loop = try oldStick()
        defer { loop.detach() }
        let result = try answer(device: loop.path) { terminal, _ in terminal.type(" Yes \n") }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Shell.run("cmp", ["-n", "2097152", Self.ipxe, loop.path]).succeeded)
    }

    /// Answers yes to `arguments`' question after another file (made by `make`) was attached to
    /// `loop` while the question waited: refused as another disk, nothing written, the file as made.
    func expectAnotherDiskAtTheNameLeftAlone(_ loop: LoopDevice, arguments: [String]? = nil, make: (String) throws -> Void) throws {
        let other = try TemporaryDirectory.make(prefix: "edgeflash-swapped")
        defer { try? FileManager.default.removeItem(at: other) }
        let swappedIn = other.appendingPathComponent("other.img")
        try make(swappedIn.path)
        let before = try Shell.bash("sha256sum < '\(swappedIn.path)'")
        let result = try answer(device: loop.path, arguments: arguments) { terminal, _ in
            try? loop.reattach(swappingIn: swappedIn)
            terminal.type("yes\n")
        }
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("\(loop.path) is another disk than the one checked before writing"), "\(result.stderr)")
        #expect(result.stderr.contains("Nothing was written."), "\(result.stderr)")
        #expect(try Shell.bash("sha256sum < '\(swappedIn.path)'") == before)
    }

    /// Was: the disk was checked, then opened by its name to be written: a stick pulled while the
    /// question waited, its name given to another disk (here: another file attached to the loop
    /// device), got the image. Now the opened disk must be the one checked (its diskseq): refused,
    /// the disk now at the name untouched (still all zeros).
    @Test func anotherDiskAtTheNameWhenTheAnswerComesIsNotWritten() throws {
        let loop = try oldStick()
        defer { loop.detach() }
        try expectAnotherDiskAtTheNameLeftAlone(loop) { path in try Shell.bash("truncate -s \(16 << 20) '\(path)'") }
    }

    /// Was: `inject` planned on the disk it asked about, then let libparted open the name: a stick
    /// swapped in while the question waited (here a copy of the written stick, so a volume would
    /// fit) got the partition. Now it is refused, unchanged.
    @Test func injectLeavesAnotherDiskAtTheNameUnchanged() throws {
        let loop = try writtenStick()
        defer { loop.detach() }
        let arguments = ["inject", loop.path, "--user-data", try userDataFile(validUserData)]
        try expectAnotherDiskAtTheNameLeftAlone(loop, arguments: arguments) { path in
            try Shell.bash("dd if='\(loop.path)' of='\(path)' bs=1M conv=sparse status=none")
        }
    }

    /// Several sticks: one question shows each stick with its site; one answer covers them all.
    @Test func severalSticksAreAskedAboutOnceWithTheirSites() throws {
        let sticks = [try oldStick(size: 128 << 20), try oldStick(size: 128 << 20)]  // room for the volume
        defer { sticks.forEach { $0.detach() } }
        let dir = try TemporaryDirectory.make()
        let template = dir.appendingPathComponent("template.yaml").path
        try "#cloud-config\nstylus:\n  site:\n    edgeHostToken: \"{{token}}\"\n    projectName: Default\n"
            .write(toFile: template, atomically: true, encoding: .utf8)
        let sites = dir.appendingPathComponent("sites.csv").path
        try "name,token\nberlin,tok-b\nparis,tok-p\n".write(toFile: sites, atomically: true, encoding: .utf8)
        let arguments = ["write", Self.ipxe] + sticks.map(\.path)
            + ["--user-data", template, "--sites", sites, "--site", "paris", "--site", "berlin",
               "--log", dir.appendingPathComponent("flash.jsonl").path]
        let result = try answer(device: "", arguments: arguments) { terminal, _ in terminal.type("no\n") }
        #expect(result.status == 7)
        #expect(result.stderr.contains("This ERASES everything on 2 disks"), "\(result.stderr)")
        let rows = result.stderr.split(separator: "\n")
        #expect(rows.contains { $0.contains(sticks[0].path) && $0.hasSuffix("paris") }, "\(result.stderr)")
        #expect(rows.contains { $0.contains(sticks[1].path) && $0.hasSuffix("berlin") }, "\(result.stderr)")
        #expect(result.stderr.contains("nothing written to \(sticks[0].path), \(sticks[1].path): not confirmed"), "\(result.stderr)")
        #expect(try stillOld(sticks[0]) && stillOld(sticks[1]))
        // Declined: nothing changed, nothing logged.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("flash.jsonl").path))
    }
}
