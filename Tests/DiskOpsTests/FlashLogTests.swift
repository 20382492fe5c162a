@testable import DiskOps
import EdgeCore
import Foundation
import ISOVerify
import Testing

private func temporaryLog() throws -> (FlashLog, URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flashlog-\(UUID().uuidString)")
    return (FlashLog(path: directory.appendingPathComponent("logs/flash.jsonl").path), directory)
}

private func record(site: String, failure: (any EdgeFlashError)? = nil) -> FlashRecord {
    var record = FlashRecord(version: "0.1.0", operation: .write, device: "/dev/sdz", failure: failure, seconds: 1.23456)
    record.site = site
    record.serial = "SERIAL-\(site)"
    return record
}

@Test func recordsAreAppendedOnePerLineAndReadBack() throws {
    let (log, directory) = try temporaryLog()
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(try log.read().records.isEmpty)   // a missing log is an empty one
    try log.append(record(site: "berlin"))
    try log.append(record(site: "austin", failure: EdgeError(.io, "reading /dev/sdz failed at byte 4096")))
    let text = try String(contentsOfFile: log.path, encoding: .utf8)
    #expect(text.split(separator: "\n").count == 2 && text.hasSuffix("\n"))
    let contents = try log.read()
    #expect(contents.records.map(\.site) == ["berlin", "austin"])
    #expect(contents.records[1].result == "io" && contents.records[1].exitStatus == 5)
    #expect(contents.records[0].seconds == 1.235)
    #expect(contents.sitesDone == ["berlin"])
    #expect(contents.skippedLines.isEmpty)
}

/// Was: "The operation could not be completed. (NSCocoaErrorDomain error 256.)" for a directory
/// given as the log, or a path through a file: now the errno's words and what to give instead.
@Test func aLogThatIsADirectoryOrUnderAFileSaysWhy() throws {
    let (log, directory) = try temporaryLog()
    defer { try? FileManager.default.removeItem(at: directory) }
    try log.append(record(site: "berlin"))
    for (path, says) in [(URL(fileURLWithPath: log.path).deletingLastPathComponent().path, "Is a directory"), (log.path + "/flash.jsonl", "Not a directory")] {
        do {
            _ = try FlashLog(path: path).read()
            Issue.record("\(path) was read")
        } catch let error as EdgeError {
            #expect(error.code == .io)
            #expect(error.message.hasPrefix("cannot read the flash log \(path): ") && error.message.contains(says), "\(error.message)")
            #expect(!error.message.contains("NSCocoaErrorDomain"))
            #expect(error.hint?.contains("Give --log the path of a file") == true)
        }
    }
}

/// Was: the check a station makes at its start created the log (and its directory), so a station
/// declined or refused after it left a log that was not there. Now it creates nothing, and still
/// refuses what the first append would fail on.
@Test func checkingThatTheLogCanBeAppendedToCreatesNothing() throws {
    let (log, directory) = try temporaryLog()
    defer { try? FileManager.default.removeItem(at: directory) }
    try log.requireAppendable()   // logs/ and the directory above it are missing: made at the first append
    #expect(!FileManager.default.fileExists(atPath: directory.path))
    try log.append(record(site: "berlin"))
    let before = try String(contentsOfFile: log.path, encoding: .utf8)
    try log.requireAppendable()
    #expect(try String(contentsOfFile: log.path, encoding: .utf8) == before)
    let logs = URL(fileURLWithPath: log.path).deletingLastPathComponent().path
    for (path, says) in [(logs, "Is a directory"), (log.path + "/flash.jsonl", "Not a directory"), (log.path + "/more/flash.jsonl", "Not a directory")] {
        do {
            try FlashLog(path: path).requireAppendable()
            Issue.record("\(path) was taken as appendable")
        } catch let error as EdgeError {
            #expect(error.code == .io)
            #expect(error.message.hasPrefix("cannot append to the flash log \(path): ") && error.message.contains(says), "\(error.message)")
        }
    }
}

@Test func aTornLastLineIsSkippedReportedAndDoesNotSpoilTheNextAppend() throws {
    let (log, directory) = try temporaryLog()
    defer { try? FileManager.default.removeItem(at: directory) }
    try log.append(record(site: "berlin"))
    // A crash mid-line: half a record and no newline.
    let handle = try #require(FileHandle(forWritingAtPath: log.path))
    handle.seekToEndOfFile()
    handle.write(Data("{\"time\":\"2026-11-30T06:00:00Z\",\"vers".utf8))
    handle.closeFile()
    #expect(try log.read().skippedLines == [2])
    try log.append(record(site: "zurich"))
    let contents = try log.read()
    #expect(contents.records.map(\.site) == ["berlin", "zurich"])
    #expect(contents.skippedLines == [2])
}

@Test func theDefaultLogFollowsRootAndXDG() {
    #expect(FlashLog.resolve("/tmp/x.jsonl").path == "/tmp/x.jsonl")
    #expect(FlashLog.resolve(nil, environment: [:], isRoot: true).path == "/var/log/edgeflash/flash.jsonl")
    #expect(FlashLog.resolve(nil, environment: ["EDGEFLASH_LOG": "/tmp/station.jsonl"], isRoot: true).path == "/tmp/station.jsonl")
    #expect(FlashLog.resolve("/x.jsonl", environment: ["EDGEFLASH_LOG": "/tmp/station.jsonl"], isRoot: true).path == "/x.jsonl")
    #expect(FlashLog.resolve(nil, environment: ["XDG_STATE_HOME": "/home/t/.st", "HOME": "/home/t"], isRoot: false).path == "/home/t/.st/edgeflash/flash.jsonl")
    // XDG says a relative value is invalid and must be ignored.
    #expect(FlashLog.resolve(nil, environment: ["XDG_STATE_HOME": "rel", "HOME": "/home/t"], isRoot: false).path == "/home/t/.local/state/edgeflash/flash.jsonl")
}

/// A log written before `mapped` and `givenPath` still reads; a write through a bmap is known by
/// its ranges' digest, and a line whose ranges were edited out of order names nothing.
@Test func mappedWritesAreKnownByTheirRangesAndOldLinesStillRead() throws {
    let (log, directory) = try temporaryLog()
    defer { try? FileManager.default.removeItem(at: directory) }
    let old = #"{"device":"/dev/sdz","exitStatus":0,"image":"a.iso","imageSHA256":"aa","imageSize":4096,"operation":"write","result":"ok","seconds":1,"time":"2026-11-01T00:00:00Z","version":"0.1.0"}"#
    var mapped = record(site: "berlin")
    mapped.imageSize = 1 << 20
    mapped.mapped = MappedRanges(bmap: "disk.img.bmap", ranges: [0..<4096, 65536..<69632], sha256: "bb")
    var edited = mapped
    edited.mapped?.ranges = [[65536, 4096], [0, 4096]]
    edited.imageSize = 2 << 20
    try FileManager.default.createDirectory(at: URL(fileURLWithPath: log.path).deletingLastPathComponent(), withIntermediateDirectories: true)
    try (old + "\n").write(toFile: log.path, atomically: true, encoding: .utf8)
    try log.append(mapped)
    try log.append(edited)

    let contents = try log.read()
    #expect(contents.skippedLines.isEmpty)
    #expect(contents.records.count == 3)
    #expect(contents.knownImages == [KnownImage(size: 1 << 20, sha256: "bb", ranges: [0..<4096, 65536..<69632]),
                                     KnownImage(size: 4096, sha256: "aa")])
}

/// The digest of ranges, fed in chunks that cut them anywhere, is the one their SHA-256s give.
@Test func aRangesDigestIsTheDigestOfItsRangesSHA256s() {
    let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let ranges: [Range<Int64>] = [100..<1000, 1000..<1001, 4096..<9000]
    var digest = RangesDigest(ranges: ranges)
    for start in stride(from: 0, to: bytes.count, by: 333) {
        let chunk = Array(bytes[start..<min(start + 333, bytes.count)])
        chunk.withUnsafeBytes { digest.update($0, at: Int64(start)) }
    }
    let own = ranges.map { range -> String in
        var hash = StreamingHash(.sha256)
        hash.update(Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)]))
        return hash.finalizeHex()
    }
    #expect(digest.finalizeHex() == RangesDigest.of(rangeSHA256s: own))
}
