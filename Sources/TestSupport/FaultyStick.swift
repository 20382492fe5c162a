import Foundation

/// A loop device over a file served by `scripts/fixtures/faultydisk.py` (FUSE): a stick that fails,
/// lies, wraps around or is pulled, on demand. The fault harness of the reliability tests.
public final class FaultyStick: @unchecked Sendable {
    /// What is wrong with the stick. Byte ranges are absolute offsets on the device.
    public struct Faults: Sendable {
        /// What the stick claims to hold (the loop device's size).
        public var size: Int64
        /// What it really stores, when less: offsets wrap modulo this (fake capacity).
        public var stored: Int64?
        /// Writes touching these bytes fail with EIO.
        public var failWrites: [Range<Int64>] = []
        /// Reads touching these bytes fail with EIO.
        public var failReads: [Range<Int64>] = []
        /// Writes touching these bytes are acknowledged and thrown away.
        public var dropWrites: [Range<Int64>] = []
        /// Every write waits this long first (to interrupt a write half way).
        public var delayMilliseconds = 0
        /// Writes paced to this many bytes per second (0: as fast as it goes).
        public var bytesPerSecond = 0
        /// The faults above start once this many bytes were written in all: to hit a late phase
        /// (the first MiB written last) and not the same bytes' earlier clearing.
        public var armAfterBytes: Int64 = 0

        public init(size: Int64, stored: Int64? = nil, failWrites: [Range<Int64>] = [], failReads: [Range<Int64>] = [],
                    dropWrites: [Range<Int64>] = [], delayMilliseconds: Int = 0, bytesPerSecond: Int = 0,
                    armAfterBytes: Int64 = 0) {
            self.size = size
            self.stored = stored
            self.failWrites = failWrites
            self.failReads = failReads
            self.dropWrites = dropWrites
            self.delayMilliseconds = delayMilliseconds
            self.bytesPerSecond = bytesPerSecond
            self.armAfterBytes = armAfterBytes
        }
    }

    /// The loop device, such as /dev/loop3.
    public let path: String
    public let faults: Faults
    private let directory: URL
    private let mountpoint: URL
    private let writeLog: URL
    private let healFile: URL
    private let server: Process
    private var attached = true

    public static var script: URL {
        BootFixture.repositoryRoot.appendingPathComponent("scripts/fixtures/faultydisk.py")
    }

    /// Starts the FUSE server, waits for its file, and puts a loop device on it. `parent`: where
    /// the server's directory goes (default: a fresh temporary one).
    public init(_ faults: Faults, directIO: Bool = true, in parent: URL? = nil) throws {
        if let parent {
            directory = parent.appendingPathComponent("faulty-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } else {
            directory = try TemporaryDirectory.make(prefix: "edgeflash-faulty")
        }
        mountpoint = directory.appendingPathComponent("mnt")
        writeLog = directory.appendingPathComponent("writes.log")
        healFile = directory.appendingPathComponent("heal")
        try FileManager.default.createDirectory(at: mountpoint, withIntermediateDirectories: true)
        self.faults = faults

        var arguments = [Self.script.path, mountpoint.path, "--size", String(faults.size), "--log", writeLog.path,
                         "--heal-file", healFile.path]
        if let stored = faults.stored { arguments += ["--stored", String(stored)] }
        for range in faults.failWrites { arguments += ["--fail-write", "\(range.lowerBound):\(range.upperBound)"] }
        for range in faults.failReads { arguments += ["--fail-read", "\(range.lowerBound):\(range.upperBound)"] }
        for range in faults.dropWrites { arguments += ["--drop-write", "\(range.lowerBound):\(range.upperBound)"] }
        if faults.delayMilliseconds > 0 { arguments += ["--delay-ms", String(faults.delayMilliseconds)] }
        if faults.bytesPerSecond > 0 { arguments += ["--rate", String(faults.bytesPerSecond)] }
        if faults.armAfterBytes > 0 { arguments += ["--arm-after", String(faults.armAfterBytes)] }
        server = Process()
        // Debian's interpreter: python3-fusepy is installed for it, not for other pythons on PATH.
        server.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        server.arguments = arguments
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = FileHandle.nullDevice
        server.standardError = try FileHandle(forWritingTo: Self.emptyFile(directory.appendingPathComponent("server.err")))
        try server.run()

        let disk = mountpoint.appendingPathComponent("disk.img")
        let deadline = Date().addingTimeInterval(10)
        while (try? FileManager.default.attributesOfItem(atPath: disk.path)[.size] as? Int64) != faults.size {
            guard server.isRunning, Date() < deadline else {
                let log = (try? String(contentsOf: directory.appendingPathComponent("server.err"), encoding: .utf8)) ?? ""
                server.terminate()
                throw ShellError(command: "faultydisk.py " + arguments.joined(separator: " "),
                                 result: ShellResult(status: 1, stdout: "", stderr: log))
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        var loopArguments = ["--find", "--show"]
        if directIO { loopArguments.append("--direct-io=on") }
        loopArguments.append(disk.path)
        let result = try Shell.run("losetup", loopArguments)
        guard result.succeeded else {
            server.terminate()
            throw ShellError(command: "losetup " + loopArguments.joined(separator: " "), result: result)
        }
        path = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try? Shell.run("blockdev", ["--setrw", path])
    }

    /// Pulls the stick: the server dies, and every later I/O on the loop device fails.
    public func pull() {
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
    }

    /// Pulls the stick once a write has reached byte `offset` or beyond (polls the write log).
    public func pull(afterWriteAt offset: Int64, timeout: TimeInterval = 60) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, !writes().contains(where: { $0.upperBound > offset }) {
            Thread.sleep(forTimeInterval: 0.01)
        }
        pull()
    }

    /// Heals the stick: every fault is disarmed, so a test can read what a failed write left.
    public func heal() {
        _ = FileManager.default.createFile(atPath: healFile.path, contents: nil)
    }

    /// Every write the stick received, in order, as byte ranges (dropped and failed ones included).
    public func writes() -> [Range<Int64>] {
        guard let text = try? String(contentsOf: writeLog, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let offset = Int64(parts[0]), let length = Int64(parts[1]) else { return nil }
            return offset..<(offset + length)
        }
    }

    /// The device's bytes at `offset`, read with O_DIRECT (what the stick really holds now).
    public func read(offset: Int64, count: Int) throws -> Data {
        let block: Int64 = 4096
        let first = offset / block * block
        let blocks = (offset + Int64(count) - first + block - 1) / block
        let copy = directory.appendingPathComponent("read.bin")
        try Shell.bash("dd if=\(path) of=\(copy.path) bs=\(block) skip=\(first / block) count=\(blocks) iflag=direct status=none")
        defer { try? FileManager.default.removeItem(at: copy) }
        let data = try Data(contentsOf: copy)
        let start = Int(offset - first)
        guard data.count >= start else { return Data() }
        return data.subdata(in: start..<min(data.count, start + count))
    }

    public func detach() {
        guard attached else { return }
        attached = false
        _ = try? Shell.run("losetup", ["-d", path])
        _ = try? Shell.run("umount", ["-l", mountpoint.path])
        if server.isRunning { server.terminate() }
        server.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { detach() }

    private static func emptyFile(_ url: URL) throws -> URL {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        return url
    }
}
