import Foundation
import Testing
import TestSupport

/// `edgeflash write IMAGE DEV DEV DEV` with a sites file, on real loop devices: each stick holds
/// the image (checked with cmp, outside the MBR's table bytes inject fills in) and only its own
/// site's user-data (read with mtools at its partition's offset); every result is one line of the
/// flash log; a stick that fails fails alone.
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct MultiTargetWriteTests {
    static let ipxe = InstallerImages.ipxe
    static let sites = ["berlin", "paris", "rome"]
    static func token(_ site: String) -> String { "tok-\(site)-7f3a" }
    static func password(_ site: String) -> String { "pw-\(site)-s3cret" }

    /// A template with a token and a password per site, and its sites.csv.
    let dir: URL
    let template: String
    let sitesFile: String
    let log: String

    init() throws {
        dir = try TemporaryDirectory.make(prefix: "edgeflash-fleet")
        template = dir.appendingPathComponent("site-template.yaml").path
        try """
            #cloud-config
            stylus:
              site:
                edgeHostToken: "{{token}}"
                projectName: Default
                name: "{{name}}"
            stages:
              initramfs:
                - users:
                    kairos:
                      passwd: "{{password}}"

            """.write(toFile: template, atomically: true, encoding: .utf8)
        sitesFile = dir.appendingPathComponent("sites.csv").path
        try (["name,token,password"] + Self.sites.map { "\($0),\(Self.token($0)),\(Self.password($0))" })
            .joined(separator: "\n").appending("\n").write(toFile: sitesFile, atomically: true, encoding: .utf8)
        log = dir.appendingPathComponent("flash.jsonl").path
    }

    static func sticks(_ count: Int) throws -> [LoopDevice] {
        try (0..<count).map { _ in try LoopDevice(size: 72 << 20) }
    }

    func write(_ sticks: [LoopDevice], _ extra: [String]) throws -> ShellResult {
        try EdgeFlashBinary.run(["write", Self.ipxe] + sticks.map(\.path)
                                + ["--yes", "--user-data", template, "--sites", sitesFile, "--log", log] + extra)
    }

    func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "not a JSON object: \($0)")
        }
    }

    func logRecords() throws -> [[String: Any]] { try jsonLines(try String(contentsOfFile: log, encoding: .utf8)) }

    /// The stick holds the image: cmp over its length, but the MBR's partition entries (446-509),
    /// where inject adds the user-data partition.
    func holdsTheImage(_ stick: LoopDevice) throws -> Bool {
        let size = try FileManager.default.attributesOfItem(atPath: Self.ipxe)[.size] as! Int
        let script = "cmp -n 446 '\(Self.ipxe)' '\(stick.path)' && cmp -i 510 -n \(size - 510) '\(Self.ipxe)' '\(stick.path)'"
        return (try Shell.run("bash", ["-c", script])).succeeded
    }

    /// The stick's bytes (its backing file) contain `text`.
    func contains(_ stick: LoopDevice, _ text: String) throws -> Bool {
        try Shell.run("grep", ["-a", "-q", "-F", text, stick.backingFile.path]).succeeded
    }

    @Test func eachStickGetsTheImageAndOnlyItsOwnSite() throws {
        let sticks = try Self.sticks(3)
        defer { sticks.forEach { $0.detach() } }
        let result = try write(sticks, ["--site", "berlin", "--site", "paris", "--site", "rome", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try jsonLines(result.stdout)
        let summary = try #require(lines.last)
        #expect(summary["type"] as? String == "summary" && summary["ok"] as? Bool == true)
        // Progress events name their stick and its site.
        let progress = lines.filter { $0["type"] as? String == "progress" }
        #expect(Set(progress.compactMap { $0["target"] as? String }) == Set(sticks.map(\.path)))
        #expect(progress.allSatisfy { event in
            zip(sticks, Self.sites).contains { $0.path == event["target"] as? String && $1 == event["site"] as? String }
        })
        let volumes = lines.filter { $0["type"] as? String == "user-data" }
        #expect(volumes.count == 3)
        var instanceIDs: Set<String> = []
        for (stick, site) in zip(sticks, Self.sites) {
            #expect(try holdsTheImage(stick), "\(stick.path)")
            let volume = try #require(volumes.first { $0["target"] as? String == stick.path })
            let start = try #require(volume["start"] as? Int)
            let userData = try Shell.bash("mtype -i '\(stick.path)@@\(start)' ::user-data")
            #expect(userData.contains(Self.token(site)) && userData.contains("name: \"\(site)\""))
            let meta = try Shell.bash("mtype -i '\(stick.path)@@\(start)' ::meta-data")
            #expect(meta.hasPrefix("instance-id: \(site)-"), "\(meta)")
            instanceIDs.insert(meta)
            for other in Self.sites where other != site {
                #expect(try !contains(stick, Self.token(other)), "\(stick.path) holds \(other)'s token")
                #expect(try !contains(stick, Self.password(other)), "\(stick.path) holds \(other)'s password")
            }
            let report = try #require(lines.first { $0["type"] as? String == "result" && $0["device"] as? String == stick.path })
            #expect(report["site"] as? String == site && report["readBack"] as? String == "matched")
        }
        #expect(instanceIDs.count == 3)

        // One parseable line per stick, naming the image by its SHA-256 and the site's data by its
        // hash, never a secret.
        let records = try logRecords()
        #expect(records.count == 3)
        let imageSHA = String(try Shell.bash("sha256sum '\(Self.ipxe)'").prefix(64))
        for (record, (stick, site)) in zip(records, zip(sticks, Self.sites)) {
            #expect(record["device"] as? String == stick.path && record["site"] as? String == site)
            #expect(record["result"] as? String == "ok" && record["operation"] as? String == "write")
            #expect(record["imageSHA256"] as? String == imageSHA)
            #expect((record["userDataSHA256"] as? String)?.count == 64)
            #expect((record["instanceID"] as? String)?.hasPrefix("\(site)-") == true)
            #expect(record["transport"] as? String == "loop")
        }
        let logText = try String(contentsOfFile: log, encoding: .utf8)
        for site in Self.sites {
            #expect(!logText.contains(Self.password(site)) && !logText.contains(Self.token(site)))
        }
    }

    @Test func aReadOnlyStickFailsAloneAndIsNamedInTheSummaryAndTheLog() throws {
        let sticks = try Self.sticks(3)
        defer { sticks.forEach { $0.detach() } }
        let readOnly = sticks[1]
        try Shell.bash("blockdev --setro '\(readOnly.path)'")
        defer { _ = try? Shell.bash("blockdev --setrw '\(readOnly.path)'") }
        let result = try write(sticks, ["--site", "berlin", "--site", "paris", "--site", "rome"])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("1 of 3 devices failed: \(readOnly.path)"), "\(result.stderr)")
        let row = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix(readOnly.path + " ") })
        #expect(row.contains("paris") && row.contains("FAILED"), "\(result.stdout)")
        for (index, stick) in sticks.enumerated() where index != 1 {
            #expect(try holdsTheImage(stick), "\(stick.path)")
            #expect(result.stdout.split(separator: "\n").contains { $0.hasPrefix(stick.path + " ") && $0.contains(" ok ") })
        }
        let records = try logRecords()
        #expect(records.count == 3)
        let failed = try #require(records.first { $0["device"] as? String == readOnly.path })
        #expect(failed["result"] as? String == "refused" && failed["exitStatus"] as? Int == 3)
        #expect((failed["message"] as? String)?.contains("read-only") == true)
        #expect(records.filter { $0["result"] as? String == "ok" }.count == 2)
    }

    /// A disk named twice (its path and a link to it) would have two writes racing on it.
    @Test func aDiskNamedTwiceIsWrittenOnce() throws {
        let sticks = try Self.sticks(2)
        defer { sticks.forEach { $0.detach() } }
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("edgeflash-alias-\(UUID().uuidString)").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: sticks[0].path)
        defer { try? FileManager.default.removeItem(atPath: link) }
        let result = try EdgeFlashBinary.run(["write", Self.ipxe, sticks[0].path, link, sticks[1].path, "--yes",
                                              "--user-data", template, "--sites", sitesFile, "--log", log,
                                              "--site", "berlin", "--site", "paris", "--site", "rome"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("\(link) is the same disk as \(sticks[0].path)"), "\(result.stderr)")
        #expect(try holdsTheImage(sticks[0]) && holdsTheImage(sticks[1]))
        #expect(try contains(sticks[0], Self.token("berlin")) && !contains(sticks[0], Self.token("paris")))
        #expect(try contains(sticks[1], Self.token("rome")))
    }

    @Test func nextSkipsSitesLoggedOkAndATornLineIsReportedNotFatal() throws {
        // berlin has a good stick already; paris only a failed one; then a crash tore a line.
        let earlier = """
            {"device":"/dev/sdx","exitStatus":0,"operation":"write","result":"ok","seconds":1,"site":"berlin","time":"2026-11-30T05:00:00Z","version":"0.1.0"}
            {"device":"/dev/sdy","exitStatus":5,"operation":"write","result":"io","seconds":1,"site":"paris","time":"2026-11-30T05:00:00Z","version":"0.1.0"}
            {"device":"/dev/sdz","exitSta
            """
        try earlier.write(toFile: log, atomically: true, encoding: .utf8)
        let sticks = try Self.sticks(2)
        defer { sticks.forEach { $0.detach() } }
        let result = try write(sticks, ["--next"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n")
        #expect(rows.contains { $0.hasPrefix(sticks[0].path + " ") && $0.contains(" paris ") }, "\(result.stdout)")
        #expect(rows.contains { $0.hasPrefix(sticks[1].path + " ") && $0.contains(" rome ") }, "\(result.stdout)")

        let listed = try EdgeFlashBinary.run(["log", "--log", log])
        #expect(listed.status == 0)
        #expect(listed.stderr.contains("skipped line 3 of \(log)"), "\(listed.stderr)")
        #expect(listed.stdout.split(separator: "\n").count == 5)  // a header and four records
        let paris = try EdgeFlashBinary.run(["log", "--log", log, "--site", "paris", "--json"])
        let listing = try #require(try JSONSerialization.jsonObject(with: Data(paris.stdout.utf8)) as? [String: Any])
        let records = try #require(listing["records"] as? [[String: Any]])
        #expect(records.map { $0["result"] as? String } == ["io", "ok"])
        #expect(listing["skippedLines"] as? [Int] == [3])

        // Every site has a good stick now: --next refuses before anything is written.
        let none = try write(try Self.sticks(1), ["--next"])
        #expect(none.status == 3 && none.stderr.contains("Every site has a stick"), "\(none.stderr)")
    }
}
