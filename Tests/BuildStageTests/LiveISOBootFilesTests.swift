import EdgeCore
import Foundation
import Testing
import TestSupport
@testable import BuildStage

/// The kernel and initrd found in an image root, links followed inside the root and never outside.
struct LiveISOBootFilesTests {
    let root: URL

    init() throws {
        root = try TemporaryDirectory.make(prefix: "edgeflash-bootfiles").appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("boot"), withIntermediateDirectories: true)
    }

    func file(_ path: String, _ text: String = "x") throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func link(_ path: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent(path).path, withDestinationPath: target)
    }

    @Test func kairosLinksAreFollowedInsideTheRootAbsoluteOnesAgainstTheRoot() throws {
        try file("boot/vmlinuz-6.1.0-13-amd64")
        try file("boot/initrd-6.1.0-13-amd64")
        try link("boot/vmlinuz", to: "vmlinuz-6.1.0-13-amd64")
        // Absolute: the image's /boot, not this machine's (which has its own /boot/initrd* or none).
        try link("boot/initrd", to: "/boot/initrd-6.1.0-13-amd64")
        let found = try BootFiles.find(in: root.path)
        #expect(found.kernel == root.path + "/boot/vmlinuz-6.1.0-13-amd64")
        #expect(found.initrd == root.path + "/boot/initrd-6.1.0-13-amd64")
        #expect(found.kernelInImage == "/boot/vmlinuz")
        #expect(found.initrdInImage == "/boot/initrd")
    }

    @Test func withoutPlainNamesTheNewestVersionAndItsOwnInitrdAreTaken() throws {
        for version in ["6.1.0-9-amd64", "6.1.0-13-amd64"] {
            try file("boot/vmlinuz-\(version)")
            try file("boot/initrd.img-\(version)")
        }
        let found = try BootFiles.find(in: root.path)
        #expect(found.kernelInImage == "/boot/vmlinuz-6.1.0-13-amd64")
        #expect(found.initrdInImage == "/boot/initrd.img-6.1.0-13-amd64")
    }

    @Test func aLinkClimbingOutOfTheRootIsRefused() throws {
        try file("boot/initrd")
        try link("boot/vmlinuz", to: "../../../../../../etc/hostname")
        #expect {
            try BootFiles.find(in: root.path)
        } throws: { error in
            (error as? EdgeError)?.code == .malformed && (error as? EdgeError)?.message.contains("points outside the image root") == true
        }
    }

    @Test func aDanglingLinkIsNotAKernelAndTheErrorNamesWhatWasLookedFor() throws {
        try link("boot/vmlinuz", to: "/boot/vmlinuz-gone")
        try file("boot/initrd")
        let error = try #require(throws: EdgeError.self) { try BootFiles.find(in: root.path) }
        #expect(error.code == .malformed)
        #expect(error.message.hasPrefix("the image has no kernel: looked for /boot/vmlinuz, /boot/vmlinuz-*, /boot/Image"))
        try file("boot/vmlinuz-gone")
        try FileManager.default.removeItem(at: root.appendingPathComponent("boot/initrd"))
        let noInitrd = try #require(throws: EdgeError.self) { try BootFiles.find(in: root.path) }
        #expect(noInitrd.message.hasPrefix("the image has no initrd (initramfs): looked for /boot/initrd, /boot/initrd.img"))
    }

    @Test func aLinkedBootDirectoryResolvesInsideTheRoot() throws {
        try file("usr/lib/kernel/vmlinuz")
        try file("usr/lib/kernel/initrd")
        try FileManager.default.removeItem(at: root.appendingPathComponent("boot"))
        try link("boot", to: "/usr/lib/kernel")
        let found = try BootFiles.find(in: root.path)
        #expect(found.kernel == root.path + "/usr/lib/kernel/vmlinuz")
    }

    @Test func theKernelsArchitectureIsToldFromItsHeader() {
        func header(_ pieces: [(Int, [UInt8])]) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 1024)
            for (offset, piece) in pieces { bytes.replaceSubrange(offset..<offset + piece.count, with: piece) }
            return bytes
        }
        let pe: [(Int, [UInt8])] = [(0, Array("MZ".utf8)), (0x3c, [0x80, 0, 0, 0]), (0x80, Array("PE\0\0".utf8))]
        #expect(KernelArchitecture.of(header(pe + [(0x84, [0x64, 0x86]), (0x202, Array("HdrS".utf8))])) == .amd64)
        #expect(KernelArchitecture.of(header(pe + [(0x84, [0x64, 0xAA])])) == .arm64)       // EFI zboot
        #expect(KernelArchitecture.of(header([(0x38, Array("ARM\u{64}".utf8))])) == .arm64)   // plain Image
        #expect(KernelArchitecture.of(header([(0x202, Array("HdrS".utf8))])) == .amd64)      // bzImage without a PE stub
        #expect(KernelArchitecture.of(Array("kernel kernel".utf8)) == nil)
    }
}
