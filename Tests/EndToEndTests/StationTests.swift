import Foundation
import Testing
import TestSupport

/// `station` as a child process with real loop devices standing for sticks: two attached while it
/// runs get the first two sites in order; one attached before it started is never touched; Ctrl-C
/// during a write leaves the stick blank.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct StationTests {
    /// A running station: its output read as it comes, its stderr, and a watchdog for a hang.
    final class Running {
        let process = Process()
        let stderr: FileHandle
        private let output: FileHandle
        private var watchdog: Watchdog?
        private(set) var text = ""

        /// Starts `station` with loop devices over files in `loopDirectory` standing for sticks;
        /// without `yes`, it has no terminal to ask on.
        init(_ arguments: [String], loopDirectory: URL, image: String = InstallerImages.ipxe, yes: Bool = true) throws {
            process.executableURL = EdgeFlashBinary.url
            process.arguments = ["station", image, "--allow-loop"] + (yes ? ["--yes"] : []) + arguments
            process.standardInput = FileHandle.nullDevice
            process.environment = ProcessInfo.processInfo.environment.merging(["EDGEFLASH_LOOP_DIR": loopDirectory.path]) { $1 }
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            output = out.fileHandleForReading
            stderr = err.fileHandleForReading
            try process.run()
            watchdog = Watchdog(process, seconds: 300)
        }

        /// Reads until `needle` has been printed; false at end of output.
        func wait(for needle: String) -> Bool {
            while !text.contains(needle) {
                let chunk = output.availableData
                if chunk.isEmpty { return false }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return true
        }

        /// Runs `body` with the station stopped (SIGSTOP, every thread of it seen stopped): what
        /// `body` changes, the station sees only after, all at once, as it sees changes made
        /// between two of its reads of /sys/block.
        func whileStopped(_ body: () throws -> Void) throws {
            let pid = process.processIdentifier
            kill(pid, SIGSTOP)
            defer { kill(pid, SIGCONT) }
            while !Self.everyThreadStopped(pid) { usleep(10_000) }
            try body()
        }

        /// Every task of `pid` is in state T (stopped); true once it is gone.
        private static func everyThreadStopped(_ pid: pid_t) -> Bool {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            return tasks.allSatisfy { task in
                // "TID (name) STATE ...": the name may hold spaces and parentheses, the state follows the last ")".
                let stat = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8)) ?? ""
                return stat.split(separator: ")").last.map { $0.drop { $0 == " " }.first == "T" } ?? true
            }
        }

        /// Reads to the end and waits for the exit: (status, stderr).
        func finish() -> (status: Int32, stderr: String) {
            text += String(decoding: output.readDataToEndOfFile(), as: UTF8.self)
            let errors = String(decoding: stderr.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            watchdog?.cancel()
            return (process.terminationStatus, errors)
        }
    }

    /// A directory for the station's files, the template, a sites file and the log.
    struct Setup {
        let directory: URL
        let template: String
        let sites: String
        var log: String { directory.appendingPathComponent("flash.jsonl").path }
        var arguments: [String] { arguments(log: log) }

        func arguments(log: String) -> [String] { ["--user-data", template, "--sites", sites, "--log", log] }

        init() throws {
            directory = try TemporaryDirectory.make(prefix: "edgeflash-station")
            template = try userDataFile("#cloud-config\nstylus:\n  site:\n    edgeHostToken: {{token}}\n    projectName: edge\n    name: {{name}}\n")
            sites = try userDataFile("name,token\nberlin,tok-berlin-1\naustin,tok-austin-2\nparis,tok-paris-3\n", name: "sites.csv")
        }

        func subdirectory(_ name: String) throws -> URL {
            let url = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }

        func records() throws -> [[String: Any]] {
            try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }
    }

    func userData(of device: String) throws -> String {
        try Shell.bash("mtype -i '\(device)'@@\(2 << 20) ::user-data")
    }

    @Test func twoNewLoopSticksGetTheFirstTwoSitesAndAnOldOneIsUntouched() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }

        // A loop device over a file in the station's directory, there before it starts.
        let old = try LoopDevice(size: 128 << 20, directory: try setup.subdirectory("old"))
        defer { old.detach() }
        try Shell.bash("dd if='\(InstallerImages.ipxe)' of='\(old.path)' conv=fsync status=none")
        let before = try Shell.bash("sha256sum < '\(old.path)'")

        let station = try Running(setup.arguments + ["--count", "2"], loopDirectory: setup.directory)
        #expect(station.wait(for: "insert a stick"), "\(station.text)")
        let first = try LoopDevice(size: 128 << 20, directory: try setup.subdirectory("a"))
        defer { first.detach() }
        #expect(station.wait(for: "berlin: writing \(first.path)"), "\(station.text)")
        let second = try LoopDevice(size: 128 << 20, directory: try setup.subdirectory("b"))
        defer { second.detach() }
        let (status, stderr) = station.finish()
        #expect(status == 0, "\(station.text)\n\(stderr)")
        #expect(station.text.contains("berlin: done, remove the stick (\(first.path)"), "\(station.text)")
        #expect(station.text.contains("austin: done, remove the stick (\(second.path)"), "\(station.text)")
        // Never named: as a whole word (/dev/loop1 is inside /dev/loop12).
        #expect(!station.text.split(whereSeparator: { " (),:\n".contains($0) }).contains(Substring(old.path)), "\(station.text)")

        let berlin = try userData(of: first.path), austin = try userData(of: second.path)
        #expect(berlin.contains("name: berlin") && berlin.contains("tok-berlin-1") && !berlin.contains("tok-austin-2"), "\(berlin)")
        #expect(austin.contains("name: austin") && austin.contains("tok-austin-2") && !austin.contains("tok-berlin-1"), "\(austin)")
        #expect(try Shell.bash("sha256sum < '\(old.path)'") == before)
        #expect(!(station.text + stderr).contains("tok-"))

        let records = try setup.records()
        #expect(records.count == 2)
        #expect(records.map { $0["operation"] as? String } == ["station", "station"])
        // In the order the sticks finished; which stick got which site is checked on the sticks above.
        #expect(Set(records.compactMap { $0["site"] as? String }) == ["berlin", "austin"])
        #expect(records.allSatisfy { $0["result"] as? String == "ok" })
    }

    /// Ctrl-C while a (slow, FUSE-paced) stick is being written: the station stops with 130, the
    /// stick's first MiB is zeros (nothing bootable is left), and the log says it was interrupted.
    @Test func ctrlCDuringAWriteLeavesTheStickBlankAndLogsIt() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let station = try Running(setup.arguments, loopDirectory: setup.directory)
        #expect(station.wait(for: "insert a stick"), "\(station.text)")
        let stick = try FaultyStick(.init(size: 128 << 20, bytesPerSecond: 1 << 20), in: setup.directory)
        defer { stick.detach() }
        #expect(station.wait(for: "berlin: write \(stick.path)"), "\(station.text)")
        kill(station.process.processIdentifier, SIGINT)
        let (status, stderr) = station.finish()
        #expect(status == 130, "\(station.text)\n\(stderr)")
        #expect(station.text.contains("berlin: FAILED on \(stick.path)"), "\(station.text)")
        #expect(try stick.read(offset: 0, count: 1 << 20).allSatisfy { $0 == 0 })
        let records = try setup.records()
        #expect(records.count == 1)
        #expect(records.first?["exitStatus"] as? Int == 130 && records.first?["site"] as? String == "berlin")
    }
}

extension StationTests {
    /// A log that cannot be appended to (immutable: as root the only way), or a missing one in a
    /// directory it cannot be made in, is refused before any stick is taken: a station whose
    /// results are not logged would give their sites again.
    @Test func aLogThatCannotBeAppendedToIsRefusedAtStart() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let locked = try setup.subdirectory("locked").appendingPathComponent("flash.jsonl").path
        try Shell.bash("touch '\(setup.log)' && chattr +i '\(setup.log)' '\(setup.directory.path)/locked'")
        defer { _ = try? Shell.bash("chattr -i '\(setup.log)' '\(setup.directory.path)/locked'") }
        for log in [setup.log, locked] {
            let station = try Running(setup.arguments(log: log), loopDirectory: setup.directory)
            let (status, stderr) = station.finish()
            #expect(status == 5, "\(station.text)\n\(stderr)")
            #expect(stderr.contains("cannot append to the flash log \(log): could not open \(log): Operation not permitted"), "\(stderr)")
            #expect(!station.text.contains("insert a stick"), "\(station.text)")
        }
        #expect(!FileManager.default.fileExists(atPath: locked))
    }

    /// Was: a log with no name, a device (/dev/full), a link into a directory that does not exist
    /// passed the start and failed the first stick's line, after the stick was written; a FIFO held
    /// the station at its start without a word. Now each is refused at the start (exit 5).
    @Test func aLogThatNoLineCanGoToIsRefusedAtStart() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let fifo = setup.directory.appendingPathComponent("log.fifo").path, dangling = setup.directory.appendingPathComponent("dangling").path
        let chained = setup.directory.appendingPathComponent("chained").path
        try Shell.bash("mkfifo '\(fifo)' && ln -s '\(setup.directory.path)/missing/flash.jsonl' '\(dangling)' && ln -s '\(dangling)' '\(chained)'")
        let says = ["": "cannot append to the flash log '': it has no name",
                    "/dev/full": "cannot read the flash log /dev/full: it is not a regular file",
                    fifo: "cannot read the flash log \(fifo): it is not a regular file",
                    dangling: "cannot append to the flash log \(dangling): it is a link to \(setup.directory.path)/missing/flash.jsonl, whose directory does not exist",
                    chained: "cannot append to the flash log \(chained): it is a link to \(setup.directory.path)/missing/flash.jsonl, whose directory does not exist"]
        for (log, message) in says {
            let station = try Running(setup.arguments(log: log), loopDirectory: setup.directory)
            let (status, stderr) = station.finish()
            #expect(status == 5 && stderr.contains(message), "\(log): \(stderr)")
            #expect(!station.text.contains("insert a stick"), "\(station.text)")
        }
    }

    /// Was: a sites file with a header and no site started a station that waited for sticks it
    /// could not write, then said "every site has a stick", exit 0.
    @Test func aSitesFileWithNoSiteIsRefusedAtStart() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let header = try String(contentsOfFile: setup.sites, encoding: .utf8).split(separator: "\n")[0]
        try "\(header)\n".write(toFile: setup.sites, atomically: true, encoding: .utf8)
        let station = try Running(setup.arguments, loopDirectory: setup.directory)
        let (status, stderr) = station.finish()
        #expect(status == 6 && stderr.contains("\(setup.sites) names no site"), "\(stderr)")
        #expect(!station.text.contains("insert a stick"), "\(station.text)")

        // Every site already has a stick in the log: nothing for the station to give.
        try "name,token\nberlin,tok-berlin-1\n".write(toFile: setup.sites, atomically: true, encoding: .utf8)
        let line = #"{"time":"2026-11-30T10:00:00Z","version":"t","operation":"station","device":"/dev/x","site":"berlin","result":"ok","exitStatus":0,"seconds":1}"#
        try (line + "\n").write(toFile: setup.log, atomically: true, encoding: .utf8)
        let done = try Running(setup.arguments, loopDirectory: setup.directory)
        let (doneStatus, doneStderr) = done.finish()
        #expect(doneStatus == 3 && doneStderr.contains("every site in \(setup.sites) already has a stick in the flash log \(setup.log)"), "\(doneStderr)")
    }

    /// Was: the check that the log can be appended to created it, so a station not confirmed, or
    /// refused after that check, left a log (and its directory) that was not there.
    @Test func aStationNotConfirmedOrRefusedAtStartLeavesNoLog() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let logs = setup.directory.appendingPathComponent("logs")
        let station = try Running(setup.arguments(log: logs.appendingPathComponent("flash.jsonl").path), loopDirectory: setup.directory, yes: false)
        let (status, stderr) = station.finish()
        #expect(status == 7, "\(station.text)\n\(stderr)")
        #expect(stderr.contains("no terminal to confirm the station on"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: logs.path))
    }

    /// The log turns immutable while the station runs: the stick's append fails (a `logFailed`
    /// event), and the station stops instead of taking more sticks, naming the site the log lacks.
    @Test func aFailedLogAppendStopsTheStation() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        try Shell.bash("touch '\(setup.log)'")   // the station makes it only at its first line
        let station = try Running(setup.arguments + ["--count", "2", "--json"], loopDirectory: setup.directory)
        #expect(station.wait(for: #""event":"waiting""#), "\(station.text)")
        try Shell.bash("chattr +i '\(setup.log)'")
        defer { _ = try? Shell.bash("chattr -i '\(setup.log)'") }
        let stick = try LoopDevice(size: 128 << 20, directory: try setup.subdirectory("a"))
        defer { stick.detach() }
        let (status, stderr) = station.finish()
        #expect(status == 5, "\(station.text)\n\(stderr)")
        #expect(stderr.contains("station stopped: cannot append to the flash log"), "\(stderr)")
        #expect(stderr.contains("done but not in the log: berlin (\(stick.path))"), "\(stderr)")
        #expect(station.text.contains(#""event":"logFailed""#), "\(station.text)")
        // Said once at the start, as write's JSON says it before writing.
        #expect(station.text.contains(#""checksum":{"state":"unverified"}"#), "\(station.text)")
    }

    /// A digest the image does not have: the first stick fails on it, and the station stops with
    /// exit 4 instead of erasing every next stick for the same mismatch, that stick left blank. A
    /// compressed image's digest is known once a stick's write decoded it: a --sha256 of neither
    /// form, or (tester S5) a SHA256SUMS naming the .xz rightly and its decoded image wrongly.
    @Test func anImageChecksumMismatchStopsTheStation() throws {
        let wrong = String(repeating: "0", count: 64)
        for (arguments, sums, checksum, mismatch) in [
            (["--sha256", wrong], nil, "SHA256 of the image or the compressed file from --sha256", "is not the image --sha256 describes"),
            ([], "\(wrong)  ipxe.iso", "SHA256 of the compressed file and of the decoded image from SHA256SUMS",
             "is not the image SHA256SUMS describes (its line for ipxe.iso)"),
        ] {
            let setup = try Setup()
            defer { try? FileManager.default.removeItem(at: setup.directory) }
            let image = setup.directory.appendingPathComponent("ipxe.iso.xz").path
            try Shell.bash("xz -c '\(InstallerImages.ipxe)' > '\(image)'")
            if let sums {
                try Shell.bash("cd '\(setup.directory.path)' && (sha256sum ipxe.iso.xz; echo '\(sums)') > SHA256SUMS")
            }
            let station = try Running(setup.arguments + arguments, loopDirectory: setup.directory, image: image)
            #expect(station.wait(for: "insert a stick"), "\(station.text)")
            #expect(station.text.contains("Checksum: \(checksum), checked on every stick."), "\(station.text)")
            let stick = try LoopDevice(size: 128 << 20, directory: try setup.subdirectory("a"))
            defer { stick.detach() }
            let (status, stderr) = station.finish()
            #expect(status == 4, "\(station.text)\n\(stderr)")
            #expect(stderr.contains("station stopped: the image does not match its checksum"), "\(stderr)")
            #expect(stderr.contains(mismatch), "\(stderr)")
            #expect(try setup.records().map { $0["result"] as? String } == ["mismatch"])
            #expect(try Shell.run("cmp", ["-n", "\(1 << 20)", "/dev/zero", stick.path]).succeeded, "first MiB zeros")
        }
    }

    /// Was: a plain image, hashed whole at the start, was not compared with its checksum there:
    /// the first stick was erased before the mismatch stopped the station.
    @Test func aPlainImageThatMissesItsChecksumIsRefusedBeforeAnyStick() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let station = try Running(setup.arguments + ["--sha256", String(repeating: "0", count: 64)], loopDirectory: setup.directory)
        let (status, stderr) = station.finish()
        #expect(status == 4, "\(station.text)\n\(stderr)")
        #expect(!station.text.contains("insert a stick"), "\(station.text)")
        #expect(stderr.contains("checksum mismatch"), "\(stderr)")
        #expect(!FileManager.default.fileExists(atPath: setup.log))
    }

    /// A station with `--count 1` writing a stick that fails, but only after some seconds: a stick
    /// inserted meanwhile waits for its place. Paced to 1 MiB/s, its second MiB unreadable once the
    /// probe and the clearing (3 MiB written) are over, it fails reading the image back.
    func countOfOneWithAFailingStickInFlight(_ setup: Setup) throws -> (Running, FaultyStick) {
        let station = try Running(setup.arguments + ["--count", "1"], loopDirectory: setup.directory)
        #expect(station.wait(for: "insert a stick"), "\(station.text)")
        let failing = try FaultyStick(.init(size: 128 << 20, failReads: [(1 << 20)..<(2 << 20)], bytesPerSecond: 1 << 20,
                                            armAfterBytes: 3 << 20), in: setup.directory)
        let writing = station.wait(for: "berlin: writing \(failing.path)")
        #expect(writing, "\(station.text)")
        return (station, failing)
    }

    /// --count 1, a stick that fails while a good one is inserted: the good one waits for the
    /// failing one's place instead of being passed over for good.
    @Test func aStickHeldForTheCountIsTakenWhenTheStickInFlightFails() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let (station, failing) = try countOfOneWithAFailingStickInFlight(setup)
        defer { failing.detach() }
        let good = try LoopDevice(size: 128 << 20, directory: try setup.subdirectory("good"))
        defer { good.detach() }
        let (status, stderr) = station.finish()
        #expect(status == 0, "\(station.text)\n\(stderr)")
        #expect(station.text.contains("berlin: FAILED on \(failing.path)"), "\(station.text)")
        #expect(station.text.contains("berlin: done, remove the stick (\(good.path)"), "\(station.text)")
        // No checksum beside /usr/lib/ipxe/ipxe.iso: said as write says it.
        #expect(stderr.contains("edgeflash: unverified image: no checksum for ipxe.iso"), "\(stderr)")
    }

    /// Was: a stick that waited for a place and was swapped for another disk at the same name
    /// before it got one (the station never saw the name empty) was written as the stick that
    /// arrived. Now a drive is its name and its disk sequence: the swap (another file attached to
    /// the loop device while the station was stopped) is the held stick removed and a new one
    /// inserted, which waits for the place and is written under its own identity. (Between a
    /// drive's arrival and its write, the disk that arrived is the only one written: the write
    /// expects its serial, size and diskseq; SafetyPolicyTests.aStickIsWrittenOnlyAsTheDiskThatArrived.)
    @Test func aHeldStickSwappedForAnotherDiskIsANewStick() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        // The failing stick frees its place only after the swap.
        let (station, failing) = try countOfOneWithAFailingStickInFlight(setup)
        defer { failing.detach() }
        let held = try LoopDevice(size: 128 << 20, directory: try setup.subdirectory("held"))
        defer { held.detach() }
        #expect(station.wait(for: "\(held.path): waits:"), "\(station.text)")
        let other = try setup.subdirectory("other").appendingPathComponent("other.img")
        try Shell.bash("truncate -s \(128 << 20) '\(other.path)'")
        try station.whileStopped { try held.reattach(swappingIn: other) }
        let (status, stderr) = station.finish()
        // Values, not `station`, in the expectations: reflecting a Running crashes the test runner.
        let text = station.text
        #expect(status == 0, "\(text)\n\(stderr)")
        #expect(text.contains("\(held.path): removed"), "\(text)")
        #expect(text.components(separatedBy: "\(held.path): waits:").count == 3, "\(text)")
        #expect(text.contains("berlin: done, remove the stick (\(held.path),"), "\(text)")
        // The disk swapped in holds the image now (its ISO volume descriptor; the MBR holds the
        // user-data partition too).
        let image = try FileHandle(forReadingFrom: URL(fileURLWithPath: InstallerImages.ipxe))
        defer { try? image.close() }
        try image.seek(toOffset: 32768)
        #expect(try held.read(offset: 32768, count: 2048) == image.readData(ofLength: 2048))
        let results = try setup.records().map { "\($0["device"] as? String ?? "?") \($0["result"] as? String ?? "?")" }
        #expect(results.contains("\(held.path) ok") && results.count == 2, "\(results)")
    }

    /// Every stick gets a user-data volume after the image, so an image that does not state its
    /// decompressed size is refused before any stick is taken, with write's message and hint.
    @Test func aGzipImageIsRefusedAtStart() throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(at: setup.directory) }
        let image = setup.directory.appendingPathComponent("ipxe.iso.gz").path
        try Shell.bash("gzip -c '\(InstallerImages.ipxe)' > '\(image)'")
        let station = try Running(setup.arguments, loopDirectory: setup.directory, image: image)
        let (status, stderr) = station.finish()
        #expect(status == 3, "\(station.text)\n\(stderr)")
        #expect(stderr.contains("does not state its decompressed size (gzip stream)"), "\(stderr)")
        #expect(stderr.contains("decompress it first (gzip -dk \(image))"), "\(stderr)")
        #expect(!station.text.contains("insert a stick"), "\(station.text)")
        #expect(!FileManager.default.fileExists(atPath: setup.log))
    }
}

/// Kills a child process that outlives `seconds` (SIGKILL, which nothing can catch), so a hung
/// command fails its test instead of hanging the suite. (`timeout(1)` around the child did not
/// stop it here: the process it ran inherited a signal mask blocking SIGTERM.)
final class Watchdog: @unchecked Sendable {
    private let item: DispatchWorkItem

    init(_ process: Process, seconds: Double) {
        let pid = process.processIdentifier
        item = DispatchWorkItem { if process.isRunning { kill(pid, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: item)
    }

    func cancel() { item.cancel() }
}
