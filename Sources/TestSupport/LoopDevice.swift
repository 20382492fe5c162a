import Foundation

/// A real loop device over a sparse backing file, detached and deleted on `detach()` or deinit.
/// Tests write to these, never to the machine's disks.
public final class LoopDevice: @unchecked Sendable {
    public let path: String
    public private(set) var backingFile: URL
    private var attached = true
    /// losetup's options the device was attached with, for `reattach`.
    private let options: [String]

    /// Creates a sparse file of `size` bytes (in `directory`, default a fresh temp dir) and attaches it,
    /// with `sectorSize`-byte logical sectors (4096: a 4Kn disk).
    public init(size: Int64, directIO: Bool = true, directory: URL? = nil, readOnly: Bool = false, sectorSize: Int = 512) throws {
        let dir = try directory ?? TemporaryDirectory.make(prefix: "edgeflash-loop")
        backingFile = dir.appendingPathComponent("stick.img")
        _ = FileManager.default.createFile(atPath: backingFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: backingFile)
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
        var options = ["--sector-size", "\(sectorSize)"]
        if directIO { options.append("--direct-io=on") }
        if readOnly { options.append("--read-only") }
        self.options = options
        let args = ["--find", "--show"] + options + [backingFile.path]
        let result = try Shell.run("losetup", args)
        guard result.succeeded else { throw ShellError(command: "losetup " + args.joined(separator: " "), result: result) }
        path = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Detaches the device and attaches the same file to it again, as a stick pulled and plugged
    /// back in: the kernel counts it as another disk (a new sysfs `diskseq`). With `file`, that file
    /// instead, as another stick at the same name: it is the device's from then on (the file it had
    /// is left where it is). When another process took the device in between, this one is left
    /// detached (never detaching theirs) and throws.
    public func reattach(swappingIn file: URL? = nil) throws {
        _ = try Shell.run("losetup", ["-d", path])
        let args = options + [path, (file ?? backingFile).path]
        let result = try Shell.run("losetup", args)
        guard result.succeeded else {
            attached = false
            try? FileManager.default.removeItem(at: backingFile)
            throw ShellError(command: "losetup " + args.joined(separator: " "), result: result)
        }
        backingFile = file ?? backingFile
    }

    /// The device's bytes at `offset`, read through the backing file.
    public func read(offset: Int64, count: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: backingFile)
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        return try handle.read(upToCount: count) ?? Data()
    }

    public func detach() {
        guard attached else { return }
        attached = false
        _ = try? Shell.run("losetup", ["-d", path])
        try? FileManager.default.removeItem(at: backingFile)
    }

    deinit { detach() }
}

public enum TemporaryDirectory {
    public static func make(prefix: String = "edgeflash-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A directory for a fixture several tests share (a `static let`): shared fixtures have no
    /// teardown, so it is removed when the test process exits.
    public static func makeShared(prefix: String) throws -> URL {
        let url = try make(prefix: prefix)
        TestService.atExit { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
