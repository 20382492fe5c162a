import Foundation
import Testing
import TestSupport

/// `edgeflash inspect` run as the built binary: text lines, --json schema, exit codes.
@Suite struct InspectCommandTests {
    @Test func textReportOfARealHybridISO() throws {
        let result = try EdgeFlashBinary.run(["inspect", "/usr/lib/ipxe/ipxe.iso"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("[ ok ] iso9660"))
        #expect(result.stdout.contains("[ ok ] el-torito"))
        #expect(result.stdout.contains("isohybrid signature"))
        #expect(result.stdout.contains("[warn] signature     unsigned"))
        #expect(result.stdout.contains("Verdict: boots from USB on BIOS only"))
    }

    @Test func jsonFollowsTheDocumentedSchema() throws {
        let result = try EdgeFlashBinary.run(["inspect", "--json", "/usr/lib/ipxe/ipxe.iso"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == 1)
        for key in ["image", "fileSize", "checks", "verdict", "verdictSummary", "structure", "signatures"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let verdict = try #require(object["verdict"] as? [String: Any])
        #expect(verdict["usbBIOS"] as? Bool == true && verdict["usbUEFI"] as? Bool == false)
        let checks = try #require(object["checks"] as? [[String: Any]])
        #expect(checks.contains { $0["id"] as? String == "mbr" && $0["status"] as? String == "info" })
        // The schema doc names every check id the binary emits.
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/inspect-json.md")
        let doc = try String(contentsOf: docs, encoding: .utf8)
        for id in checks.compactMap({ $0["id"] as? String }) { #expect(doc.contains("`\(id)`"), "docs lack \(id)") }
    }

    @Test func aTruncatedImageFailsWithInvalidInput() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-inspect")
        let cut = dir.appendingPathComponent("cut.iso").path
        try Shell.bash("head -c 1000000 /usr/lib/ipxe/ipxe.iso > '\(cut)'")
        let result = try EdgeFlashBinary.run(["inspect", cut])
        #expect(result.status == 6)
        #expect(result.stdout.contains("[FAIL] iso9660"))
        #expect(result.stderr.contains("image is truncated"))
    }

    @Test func aMismatchingChecksumFileFailsWithMismatchUnderDeep() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-inspect")
        let iso = dir.appendingPathComponent("x.iso").path
        try Shell.bash("cp /usr/lib/ipxe/ipxe.iso '\(iso)' && echo \"$(printf '0%.0s' {1..64})  x.iso\" > '\(iso).sha256'")
        let result = try EdgeFlashBinary.run(["inspect", "--deep", iso])
        #expect(result.status == 4)
        #expect(result.stdout.contains("[FAIL] checksum"))
    }

    @Test func notAnISOIsInvalidInput() throws {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-inspect")
        let file = dir.appendingPathComponent("zero.img").path
        try Shell.bash("truncate -s 1M '\(file)'")
        let result = try EdgeFlashBinary.run(["inspect", file])
        #expect(result.status == 6)
        #expect(result.stdout.contains("not an ISO image"))
    }

    @Test func aMissingFileIsAnIOError() throws {
        let result = try EdgeFlashBinary.run(["inspect", "/nonexistent/x.iso"])
        #expect(result.status == 5)
        #expect(result.stderr.contains("cannot read /nonexistent/x.iso"))
    }
}
