import Foundation
import Testing
import TestSupport

/// `write IMAGE` without a device: the numbered list on a terminal (a pseudo-terminal here), then
/// the usual confirmation; without a terminal, a usage error naming `edgeflash list`. Loop devices
/// over files in EDGEFLASH_LOOP_DIR stand for sticks.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct DrivePickerTests {
    static let pickQuestion = "Type its number (several: 1,3): "

    /// Runs `write IMAGE` on a terminal; answers the picker's questions with `picks` in turn and
    /// the confirmation with `confirm`.
    func pickAndWrite(loopDirectory: URL, picks: [String], confirm: String) throws -> (status: Int32, stderr: String) {
        let terminal = try WritePromptTests.PseudoTerminal()
        let process = Process()
        process.executableURL = EdgeFlashBinary.url
        process.arguments = ["write", InstallerImages.ipxe]
        process.environment = ProcessInfo.processInfo.environment.merging(["EDGEFLASH_LOOP_DIR": loopDirectory.path]) { $1 }
        let err = Pipe()
        process.standardInput = terminal.follower
        process.standardOutput = Pipe()
        process.standardError = err
        try process.run()
        let watchdog = Watchdog(process, seconds: 120)
        defer { watchdog.cancel() }
        var seen = ""
        func read(until suffix: String) {
            while !seen.hasSuffix(suffix) {
                let chunk = err.fileHandleForReading.availableData
                if chunk.isEmpty { return }
                seen += String(decoding: chunk, as: UTF8.self)
            }
        }
        for pick in picks {
            read(until: Self.pickQuestion)
            terminal.type(pick + "\n")
        }
        read(until: WritePromptTests.question)
        terminal.type(confirm + "\n")
        seen += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, seen)
    }

    @Test func aNumberPicksTheDriveThenYesWritesIt() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-picker")
        defer { try? FileManager.default.removeItem(at: dir) }
        let stick = try LoopDevice(size: 64 << 20, directory: dir)
        defer { stick.detach() }
        // A number not in the list: asked again; then "no" to the confirmation: nothing written.
        let declined = try pickAndWrite(loopDirectory: dir, picks: ["9", "1"], confirm: "no")
        #expect(declined.status == 7, "\(declined.stderr)")
        #expect(declined.stderr.contains("Type numbers from 1 to 1"), "\(declined.stderr)")
        #expect(try Shell.run("cmp", ["-n", "2097152", stick.path, "/dev/zero"]).succeeded)

        let picked = try pickAndWrite(loopDirectory: dir, picks: ["1"], confirm: "yes")
        #expect(picked.status == 0, "\(picked.stderr)")
        #expect(picked.stderr.contains("1)  \(stick.path)"), "\(picked.stderr)")
        #expect(picked.stderr.contains("This ERASES everything on \(stick.path)"), "\(picked.stderr)")
        #expect(try Shell.run("cmp", ["-n", "2097152", InstallerImages.ipxe, stick.path]).succeeded)
    }

    @Test func twoNumbersPickTwoDrivesWrittenSideBySide() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-picker")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sticks = try ["a", "b"].map { name in
            let own = dir.appendingPathComponent(name)   // each stick's file has the same name
            try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
            return try LoopDevice(size: 64 << 20, directory: own)
        }
        defer { sticks.forEach { $0.detach() } }
        let picked = try pickAndWrite(loopDirectory: dir, picks: ["1,2"], confirm: "yes")
        #expect(picked.status == 0, "\(picked.stderr)")
        #expect(picked.stderr.contains("This ERASES everything on 2 disks"), "\(picked.stderr)")
        for stick in sticks {
            #expect(try Shell.run("cmp", ["-n", "2097152", InstallerImages.ipxe, stick.path]).succeeded)
        }
    }

    @Test func withoutATerminalItIsAUsageErrorNamingList() throws {
        let result = try EdgeFlashBinary.run(["write", InstallerImages.ipxe], stdin: Data())
        #expect(result.status == 64)
        #expect(result.stderr.contains("edgeflash list"), "\(result.stderr)")
    }
}
