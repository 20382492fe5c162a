import Foundation
import Testing
import TestSupport

/// `station` as a child process with real loop devices standing for sticks: two attached while it
/// runs get the first two sites in order; one attached before it started is never touched.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct StationTests {
    /// The station's stdout, read as it comes.
    final class Lines {
        let handle: FileHandle
        var text = ""

        init(_ handle: FileHandle) { self.handle = handle }

        /// Reads until `needle` has been printed; false at end of output.
        func wait(for needle: String) -> Bool {
            while !text.contains(needle) {
                let chunk = handle.availableData
                if chunk.isEmpty { return false }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return true
        }

        func readToEnd() {
            text += String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        }
    }

    func userData(of device: String) throws -> String {
        try Shell.bash("mtype -i '\(device)'@@\(2 << 20) ::user-data")
    }

    @Test func twoNewLoopSticksGetTheFirstTwoSitesAndAnOldOneIsUntouched() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-station")
        defer { try? FileManager.default.removeItem(at: dir) }
        func subdirectory(_ name: String) throws -> URL {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }
        let template = try userDataFile("#cloud-config\nstylus:\n  site:\n    edgeHostToken: {{token}}\n    projectName: edge\n    name: {{name}}\n")
        let sites = try userDataFile("name,token\nberlin,tok-berlin-1\naustin,tok-austin-2\nparis,tok-paris-3\n", name: "sites.csv")
        let log = dir.appendingPathComponent("flash.jsonl").path

        // A loop device over a file in the station's directory, there before it starts.
        let old = try LoopDevice(size: 128 << 20, directory: try subdirectory("old"))
        defer { old.detach() }
        try Shell.bash("dd if='\(InstallerImages.ipxe)' of='\(old.path)' conv=fsync status=none")
        let before = try Shell.bash("sha256sum < '\(old.path)'")

        let station = Process()
        station.executableURL = EdgeFlashBinary.url
        station.arguments = ["station", InstallerImages.ipxe, "--user-data", template, "--sites", sites,
                             "--count", "2", "--log", log, "--yes", "--allow-loop"]
        station.environment = ProcessInfo.processInfo.environment.merging(["EDGEFLASH_LOOP_DIR": dir.path]) { $1 }
        let out = Pipe(), err = Pipe()
        station.standardOutput = out
        station.standardError = err
        try station.run()
        let watchdog = Watchdog(station, seconds: 300)
        defer { watchdog.cancel() }
        let lines = Lines(out.fileHandleForReading)

        #expect(lines.wait(for: "insert a stick"), "\(lines.text)")
        let first = try LoopDevice(size: 128 << 20, directory: try subdirectory("a"))
        defer { first.detach() }
        #expect(lines.wait(for: "berlin: writing \(first.path)"), "\(lines.text)")
        let second = try LoopDevice(size: 128 << 20, directory: try subdirectory("b"))
        defer { second.detach() }
        #expect(lines.wait(for: "austin: done, remove the stick (\(second.path)"), "\(lines.text)")
        lines.readToEnd()
        station.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(station.terminationStatus == 0, "\(lines.text)\n\(stderr)")
        #expect(lines.text.contains("berlin: done, remove the stick (\(first.path)"), "\(lines.text)")
        #expect(!lines.text.contains(old.path), "\(lines.text)")

        let berlin = try userData(of: first.path), austin = try userData(of: second.path)
        #expect(berlin.contains("name: berlin") && berlin.contains("tok-berlin-1") && !berlin.contains("tok-austin-2"), "\(berlin)")
        #expect(austin.contains("name: austin") && austin.contains("tok-austin-2") && !austin.contains("tok-berlin-1"), "\(austin)")
        #expect(try Shell.bash("sha256sum < '\(old.path)'") == before)
        #expect(!(lines.text + stderr).contains("tok-"))

        let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(records.count == 2)
        #expect(records.map { $0["operation"] as? String } == ["station", "station"])
        // In the order the sticks finished; which stick got which site is checked on the sticks above.
        #expect(Set(records.compactMap { $0["site"] as? String }) == ["berlin", "austin"])
        #expect(records.allSatisfy { $0["result"] as? String == "ok" })
    }
}

/// Kills a child process that outlives `seconds`, so a hung command fails its test instead of
/// hanging the suite. SIGKILL: children of the test runner inherit a mask that blocks SIGTERM and
/// SIGALRM (so `timeout(1)` cannot stop them either).
final class Watchdog: @unchecked Sendable {
    private let item: DispatchWorkItem

    init(_ process: Process, seconds: Double) {
        let pid = process.processIdentifier
        item = DispatchWorkItem { if process.isRunning { kill(pid, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: item)
    }

    func cancel() { item.cancel() }
}
