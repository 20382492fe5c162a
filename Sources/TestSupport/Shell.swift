import Foundation

/// Runs a program to completion and captures what it printed. For tests: fixtures are made and
/// checked with the real tools (losetup, mkfs, xorriso, fsck.fat, qemu...).
public struct ShellResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public var succeeded: Bool { status == 0 }
}

public enum Shell {
    /// Runs `executable` (looked up on PATH when not absolute) with `arguments`.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil,
                           environment: [String: String]? = nil) throws -> ShellResult {
        let process = Process()
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        // Output goes to temporary files: no pipe can fill up and block a chatty child.
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-shell")
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("stdout"), errURL = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        let outData = (try? Data(contentsOf: outURL)) ?? Data()
        let errData = (try? Data(contentsOf: errURL)) ?? Data()
        return ShellResult(status: process.terminationStatus,
                           stdout: String(decoding: outData, as: UTF8.self),
                           stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs a shell command line with bash; throws when it fails, with what it printed.
    @discardableResult
    public static func bash(_ script: String) throws -> String {
        let result = try run("/bin/bash", ["-euo", "pipefail", "-c", script])
        guard result.succeeded else {
            throw ShellError(command: script, result: result)
        }
        return result.stdout
    }
}

public struct ShellError: Error, CustomStringConvertible {
    public let command: String
    public let result: ShellResult
    public var description: String {
        "command failed (\(result.status)): \(command)\n\(result.stderr)\(result.stdout)"
    }
}

/// What `blkid -p` sees on a whole device.
public enum Blkid {
    /// blkid finds a partition table or a filesystem signature: the device looks bootable.
    public static func findsSignature(on device: String) throws -> Bool {
        try Shell.run("blkid", ["-p", "-o", "export", device]).stdout.contains("TYPE=")
    }
}
