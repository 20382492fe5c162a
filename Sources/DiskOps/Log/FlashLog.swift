import EdgeCore
import FileIO
import Foundation

/// The flash log: one JSON line per stick written, injected or handed out by a station
/// (`FlashRecord`). Appends are whole lines (`appendLine`: one O_APPEND write, fsync'd), so several
/// targets of one run, or two runs at once, never interleave; a line torn by a crash or a full disk
/// is skipped and reported by `read`, never fatal.
public struct FlashLog: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `--log` when given; else `$EDGEFLASH_LOG` when set (a station or a test run keeps its own
    /// log); else /var/log/edgeflash/flash.jsonl as root, $XDG_STATE_HOME (or ~/.local/state)/
    /// edgeflash/flash.jsonl otherwise.
    public static func resolve(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                               isRoot: Bool = geteuid() == 0) -> FlashLog {
        if let option { return FlashLog(path: option) }
        if let fromEnvironment = environment["EDGEFLASH_LOG"], !fromEnvironment.isEmpty { return FlashLog(path: fromEnvironment) }
        if isRoot { return FlashLog(path: "/var/log/edgeflash/flash.jsonl") }
        let state = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        return FlashLog(path: state + "/edgeflash/flash.jsonl")
    }

    /// Appends `record` as one line, creating the log and its directory when missing.
    public func append(_ record: FlashRecord) throws {
        let line = try JSONLine.encode(record)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o750])
            } catch {
                throw EdgeError(.io, "cannot create the flash log's directory \(directory): \(error.localizedDescription)",
                                hint: "Give another file with --log.")
            }
        }
        try appending { () throws(DeviceIOError) in try appendLine(Array(line.utf8), to: path) }
    }

    /// Throws what `append` would when the log cannot be opened for appending (a station refuses
    /// to start then: its log is what keeps a site from going on two sticks). Creates nothing: a
    /// missing log (and its directory) is made at the first append, so a station declined or
    /// refused at the start leaves no log behind.
    public func requireAppendable() throws {
        try requireAFileThatLinesCanGoTo()
        try appending { () throws(DeviceIOError) in try FileIO.requireAppendable(path) }
    }

    /// Something is at the log's path that is neither a file nor a directory (a directory is
    /// said by the open): a device takes no line (/dev/full), a pipe holds its reader and writer.
    private var isNoFile: Bool {
        var info = stat()
        guard !path.isEmpty, stat(path, &info) == 0 else { return false }
        let kind = info.st_mode & S_IFMT
        return kind != S_IFREG && kind != S_IFDIR
    }

    /// What only the first line written would show otherwise: a log with no name, a device or a
    /// pipe instead of a file (/dev/full takes no line; a FIFO holds the writer until read), a
    /// link to a file in a directory that does not exist (the append makes the link's directory,
    /// not its target's).
    private func requireAFileThatLinesCanGoTo() throws {
        func refuse(_ why: String) -> EdgeError {
            EdgeError(.io, "cannot append to the flash log \(path.isEmpty ? "''" : path): \(why)", hint: "Give a file with --log.")
        }
        guard !path.isEmpty else { throw refuse("it has no name") }
        if isNoFile { throw refuse("it is not a regular file") }
        var info = stat()
        if stat(path, &info) != 0, lstat(path, &info) == 0 {
            // A link that leads nowhere (through any number of links): the file at its end is made
            // by the first append, in a directory that must exist then.
            var end = path
            for _ in 0..<40 {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: end) else { break }
                end = target.hasPrefix("/") ? target : ((end as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
            }
            let directory = (end as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw refuse("it is a link to \(end), whose directory does not exist")
            }
        }
    }

    private func appending(_ body: () throws(DeviceIOError) -> Void) throws {
        do {
            try body()
        } catch {
            throw EdgeError(.io, "cannot append to the flash log \(path): \(error.message)", hint: "Give another file with --log.")
        }
    }

    /// What the log holds. A missing log is an empty one.
    public struct Contents: Sendable {
        public var records: [FlashRecord]
        /// 1-based numbers of the lines that are not whole records (torn by a crash, or edited).
        public var skippedLines: [Int]
    }

    public func read() throws -> Contents {
        // A pipe would hold the read until something writes to it; a device is no log.
        if isNoFile { throw EdgeError(.io, "cannot read the flash log \(path): it is not a regular file", hint: "Give a file with --log.") }
        let data: Data
        do {
            let file = try OpenFile.open(path)
            defer { file.close() }
            // A directory opens; its read would fail with EISDIR: said the same way.
            guard file.kind != .directory else { throw DeviceIOError(path: path, operation: .read, errno: .isDirectory) }
            data = Data(try file.read(offset: 0, count: Int(file.size)))
        } catch let error as DeviceIOError {
            if error.errno == .noSuchFileOrDirectory { return Contents(records: [], skippedLines: []) }
            // The errno's words (EISDIR, ENOTDIR: a path through a file), not Foundation's error 256.
            throw EdgeError(.io, "cannot read the flash log \(path): \(error.errno.description)",
                            hint: "Give --log the path of a file (it is made on the first write, in a directory that exists).")
        }
        let decoder = JSONDecoder()
        var contents = Contents(records: [], skippedLines: [])
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            if let record = try? decoder.decode(FlashRecord.self, from: Data(line)) {
                contents.records.append(record)
            } else {
                contents.skippedLines.append(index + 1)
            }
        }
        return contents
    }
}

extension FlashLog.Contents {
    /// Sites that some stick was written for successfully: `--next` and stations skip them.
    public var sitesDone: Set<String> {
        Set(records.filter(\.succeeded).compactMap(\.site))
    }
}
