import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A technician who sees the wrong target and hits Ctrl-C at once must be obeyed, whenever it
/// lands: the process either dies of SIGINT before the stick is opened for writing, or handles it
/// as an interruption (exit 130, first MiB blank). Never a complete write. Was: the trap set
/// SIGINT ignored until dispatch's handler was in place, which lost a SIGINT sent in those
/// milliseconds and discarded one already pending (sent earlier to a process started with SIGINT
/// blocked); the question's own signal source left SIGINT ignored for the whole write after "yes".
/// Each case runs as a terminal starts a command (SIGINT unblocked) and as a launcher that
/// blocks it does (Foundation's Process from a dispatch thread passes its mask on).
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct EarlyInterruptTests {
    /// 256 MiB, gzip: its first MiB random (a written stick is told from an old or blank one), the
    /// rest zeros, so it is small to keep and takes long enough to write that a SIGINT at the
    /// start lands well before the end.
    static let image: String = {
        let dir = try! TemporaryDirectory.makeShared(prefix: "edgeflash-early-interrupt")
        let image = dir.appendingPathComponent("disk.img").path
        try! Shell.bash("""
            head -c 1M /dev/urandom > '\(image)'
            truncate -s 256M '\(image)'
            gzip -1 '\(image)'
            """)
        return image + ".gz"
    }()

    enum Moment: CaseIterable {
        /// As soon as the process exists.
        case atSpawn
        /// After its first line (the unverified-image notice, once the preflight accepted the stick).
        case afterTheFirstLine
        /// The moment SIGINT stops having its default action (the trap being armed).
        case asTheTrapIsArmed
    }

    /// A started edgeflash: its pid and the read end of its stderr.
    struct Started {
        let pid: pid_t
        let stderr: FileHandle

        /// Starts edgeflash with SIGINT and SIGTERM at their default action, unblocked (as a
        /// terminal's shell starts it) or `blocked`; `stdin` is /dev/null unless given.
        init(_ arguments: [String], sigintBlocked blocked: Bool, stdin: Int32? = nil) throws {
            var pipe: [Int32] = [0, 0]
            guard Glibc.pipe(&pipe) == 0 else { throw POSIXError(.EMFILE) }
            defer { close(pipe[1]) }
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var signals = sigset_t(), mask = sigset_t()
            sigemptyset(&signals)
            sigaddset(&signals, SIGINT)
            sigaddset(&signals, SIGTERM)
            sigemptyset(&mask)
            if blocked { mask = signals }
            posix_spawnattr_setsigdefault(&attributes, &signals)
            posix_spawnattr_setsigmask(&attributes, &mask)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, 0) } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
            posix_spawn_file_actions_addclose(&actions, pipe[0])
            let path = EdgeFlashBinary.url.path
            let argv = ([path] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var pid = pid_t()
            let status = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
            guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EINVAL) }
            self.pid = pid
            stderr = FileHandle(fileDescriptor: pipe[0], closeOnDealloc: true)
        }

        /// Reads stderr until `done` holds of what was read, or it ends.
        func read(until done: (String) -> Bool) -> Data {
            var seen = Data()
            while !done(String(decoding: seen, as: UTF8.self)) {
                let chunk = stderr.availableData
                if chunk.isEmpty { break }
                seen.append(chunk)
            }
            return seen
        }

        var isRunning: Bool { kill(pid, 0) == 0 && !Self.isZombie(pid) }

        static func isZombie(_ pid: pid_t) -> Bool {
            ((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "").contains(") Z ")
        }

        /// SIGINT's bit in /proc/PID/status's SigIgn (ignored) or SigCgt (caught) mask.
        var sigintIgnoredOrCaught: Bool {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
            let bit = UInt64(1) << (UInt64(SIGINT) - 1)
            return status.split(separator: "\n").contains { line in
                (line.hasPrefix("SigIgn:") || line.hasPrefix("SigCgt:"))
                    && (UInt64(line.split(separator: "\t").last ?? "", radix: 16) ?? 0) & bit != 0
            }
        }

        /// Waits for the end: what became of the process and of `stick`'s first MiB.
        func ending(stderr seen: Data, stick: LoopDevice) throws -> Ending {
            let text = String(decoding: seen + stderr.readDataToEndOfFile(), as: UTF8.self)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let signaled = status & 0x7f != 0 && status & 0x7f != 0x7f
            return Ending(killedBySIGINT: signaled && status & 0x7f == SIGINT, status: (status >> 8) & 0xff, stderr: text,
                          stickOld: try stillOld(stick),
                          stickBlank: try stick.read(offset: 0, count: 1 << 20).allSatisfy { $0 == 0 })
        }
    }

    /// How a process ended, and what the stick's first MiB became.
    struct Ending: CustomStringConvertible {
        var killedBySIGINT: Bool
        var status: Int32
        var stderr: String
        var stickOld: Bool
        var stickBlank: Bool

        /// Obeyed: killed before anything was written, or stopped as an interruption; the stick old or blank.
        var obeyed: Bool {
            (killedBySIGINT && stickOld) || (!killedBySIGINT && status == 130 && (stickOld || stickBlank))
        }

        var description: String {
            "\(killedBySIGINT ? "killed by SIGINT" : "exit \(status)"), stick \(stickOld ? "old" : stickBlank ? "blank" : "WRITTEN"): \(stderr)"
        }
    }

    /// Runs `edgeflash arguments`, sends SIGINT at `moment` and waits for the end.
    static func interrupt(_ arguments: [String], at moment: Moment, sigintBlocked: Bool, stick: LoopDevice) throws -> Ending {
        let started = try Started(arguments, sigintBlocked: sigintBlocked)
        var seen = Data()
        switch moment {
        case .atSpawn: break
        case .afterTheFirstLine: seen = started.read { $0.contains("\n") }
        case .asTheTrapIsArmed: while started.isRunning && !started.sigintIgnoredOrCaught {}
        }
        kill(started.pid, SIGINT)
        return try started.ending(stderr: seen, stick: stick)
    }

    @Test(arguments: Moment.allCases, [false, true])
    func ctrlCEarlyInAWriteIsObeyed(_ moment: Moment, sigintBlocked: Bool) throws {
        let stick = try oldStick(size: 320 << 20)
        defer { stick.detach() }
        let ending = try Self.interrupt(["write", Self.image, stick.path, "--yes", "--no-probe"], at: moment,
                                        sigintBlocked: sigintBlocked, stick: stick)
        #expect(ending.obeyed, "\(moment), SIGINT blocked: \(sigintBlocked): \(ending)")
    }

    /// Several devices (the path `--sites` and `--next` batches take) are guarded the same way.
    @Test func ctrlCAsABatchWriteArmsItsTrapIsObeyed() throws {
        let first = try oldStick(size: 320 << 20), second = try oldStick(size: 320 << 20)
        defer { first.detach(); second.detach() }
        let ending = try Self.interrupt(["write", Self.image, first.path, second.path, "--yes", "--no-probe"],
                                        at: .asTheTrapIsArmed, sigintBlocked: false, stick: first)
        #expect(ending.obeyed, "\(ending)")
        #expect(try stillOld(second) || second.read(offset: 0, count: 1 << 20).allSatisfy { $0 == 0 })
    }

    /// After "yes" at the question, Ctrl-C stops the write.
    @Test func ctrlCAfterYesStopsTheWrite() throws {
        let stick = try oldStick(size: 320 << 20)
        defer { stick.detach() }
        let terminal = try WritePromptTests.PseudoTerminal()
        let started = try Started(["write", Self.image, stick.path, "--no-probe"], sigintBlocked: false,
                                  stdin: terminal.follower.fileDescriptor)
        let seen = started.read { $0.hasSuffix(WritePromptTests.question) }
        terminal.type("yes\n")
        for _ in 0..<100 where started.isRunning {
            kill(started.pid, SIGINT)
            usleep(100_000)
        }
        let ending = try started.ending(stderr: seen, stick: stick)
        #expect(!ending.killedBySIGINT && ending.status == 130 && (ending.stickOld || ending.stickBlank), "\(ending)")
    }
}
