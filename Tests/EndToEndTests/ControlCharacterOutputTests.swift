import Foundation
import Testing
import TestSupport

/// Text from files reaches the terminal as text: an escape sequence in a bmap's field, a GPT
/// partition name or an ISO volume label is shown (`\e]0;...`), never sent raw (it would retitle
/// the window and clear the screen here).
@Suite(.serialized, .enabled(if: Privileges.isRoot, Privileges.rootReason))
struct ControlCharacterOutputTests {
    static let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2J"

    /// No control character but newline and tab in `output`.
    static func isPlain(_ output: String) -> Bool {
        !output.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F..<0xA0).contains($0.value) }
    }

    @Test func aBmapFieldIsShownNotObeyed() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try MappedWriteTests().sparseImage(in: dir), bmap = image + ".bmap"
        try Shell.bash("bmaptool create -o '\(bmap)' '\(image)' 2>/dev/null")
        let text = try String(contentsOfFile: bmap, encoding: .utf8)
        let checksum = try #require(text.firstRange(of: /<BmapFileChecksum>\s*[0-9a-f]+\s*<\/BmapFileChecksum>/))
        try text.replacingCharacters(in: checksum, with: "<BmapFileChecksum> \(Self.hostile) </BmapFileChecksum>")
            .write(toFile: bmap, atomically: true, encoding: .utf8)
        let loop = try oldStick()
        defer { loop.detach() }
        let result = try EdgeFlashBinary.run(["write", image, loop.path, "--yes", "--no-probe"])
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("the file says \\e]0;pwned\\x07\\e[2j"), "\(result.stderr)")
        #expect(Self.isPlain(result.stderr + result.stdout), "\(result.stderr)")
        #expect(try stillOld(loop))
    }

    @Test func aPartitionNameAndAVolumeLabelAreShownNotObeyed() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gpt = dir.appendingPathComponent("gpt.img").path, iso = dir.appendingPathComponent("label.iso").path
        try #require(try Shell.run("truncate", ["-s", "8M", gpt]).succeeded)
        try #require(try Shell.run("sgdisk", ["-o", "-n1:2048:0", "-c", "1:EFI" + Self.hostile, gpt]).succeeded)
        // The primary volume descriptor's volume identifier: 32 bytes at 32768 + 40.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: "/usr/lib/ipxe/ipxe.iso"))
        let label = Data((Self.hostile + String(repeating: " ", count: 32)).utf8.prefix(32))
        bytes.replaceSubrange(32808..<32840, with: label)
        try bytes.write(to: URL(fileURLWithPath: iso))

        let partition = try EdgeFlashBinary.run(["inspect", gpt])
        #expect(partition.stdout.contains("'EFI\\e]0;pwned\\x07\\e[2J'"), "\(partition.stdout)")
        #expect(Self.isPlain(partition.stdout + partition.stderr), "\(partition.stdout)")
        let volume = try EdgeFlashBinary.run(["inspect", iso])
        #expect(volume.stdout.contains("pwned"), "\(volume.stdout)")
        #expect(Self.isPlain(volume.stdout + volume.stderr), "\(volume.stdout)")
    }

    /// Was: ArgumentParser printed its errors itself, quoting what was typed raw.
    @Test func anArgumentParserErrorIsShownNotObeyed() throws {
        let option = try EdgeFlashBinary.run(["write", "--" + Self.hostile, "/dev/null"])
        #expect(option.stderr.contains("Unknown option '--\\e]0;pwned\\x07\\e[2J'"), "\(option.stderr)")
        let value = try EdgeFlashBinary.run(["write", "x.iso", "/dev/null", "--expect-size", Self.hostile])
        #expect(value.stderr.contains("The value '\\e]0;pwned\\x07\\e[2J' is invalid for '--expect-size"), "\(value.stderr)")
        for result in [option, value] {
            #expect(result.status == 64)
            #expect(Self.isPlain(result.stderr + result.stdout), "\(result.stderr)")
        }
        let help = try EdgeFlashBinary.run(["write", "--help"])
        #expect(help.status == 0 && help.stdout.contains("USAGE: edgeflash write"), "\(help.stdout)")
    }

    /// Was: a newline in a GPT partition name started a line of its own in `inspect`'s report.
    @Test func aNewlineInAPartitionNameCannotForgeALine() throws {
        let dir = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gpt = dir.appendingPathComponent("gpt.img").path
        try #require(try Shell.run("truncate", ["-s", "8M", gpt]).succeeded)
        try #require(try Shell.run("sgdisk", ["-o", "-n1:2048:0", "-c", "1:EFI\nVerified OK", gpt]).succeeded)
        let result = try EdgeFlashBinary.run(["inspect", gpt])
        #expect(result.stdout.contains("'EFI\\nVerified OK'"), "\(result.stdout)")
        #expect(!result.stdout.split(separator: "\n").contains { $0.hasPrefix("Verified") }, "\(result.stdout)")
    }

    /// A volume label with a newline and U+009B (CSI): one table row in `list`; in `list --json`
    /// escaped (\u009b), the same label to a JSON parser. Was: the newline made a row of its own
    /// and the JSON held U+009B raw.
    @Test func aHostileVolumeLabelStaysOnItsRowAndInertInJSON() throws {
        let label = "A\u{9B}2J\nVerified"
        let loop = try LoopDevice(size: 16 << 20, directIO: false)
        defer { loop.detach() }
        try #require(try Shell.run("mkfs.ext4", ["-q", "-F", "-L", label, loop.path]).succeeded)
        let table = try EdgeFlashBinary.run(["list", "--all"])
        let row = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix(loop.path + " ") }, "\(table.stdout)")
        #expect(row.contains("A\\u{9b}2J\\nVerified"), "\(row)")
        #expect(!table.stdout.split(separator: "\n").contains { $0.hasPrefix("Verified") }, "\(table.stdout)")
        #expect(Self.isPlain(table.stdout), "\(table.stdout)")

        let json = try EdgeFlashBinary.run(["list", "--all", "--json"])
        #expect(json.stdout.contains("A\\u009b2J\\nVerified"), "\(json.stdout)")
        #expect(Self.isPlain(json.stdout), "\(json.stdout)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let disk = try #require((document["disks"] as? [[String: Any]])?.first { $0["path"] as? String == loop.path })
        #expect(disk["label"] as? String == label)
    }
}
