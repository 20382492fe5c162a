import EdgeCore
import Foundation
import Testing
import TestSupport
@testable import BuildStage

/// The live ISO's GRUB menu and where GRUB's modules come from.
struct LiveISOGrubTests {
    @Test func theOverlaysPlaceholderFollowsForceInteractiveInstall() {
        let overlay = "search --no-floppy --file --set=root /boot/kernel\nset default={{DEFAULT_ENTRY}}\nset timeout=5\n"
        #expect(LiveGrubConfig.fromOverlay(overlay, forceInteractiveInstall: false).contains("set default=0\n"))
        #expect(LiveGrubConfig.fromOverlay(overlay, forceInteractiveInstall: true).contains("set default=2\n"))
        #expect(!LiveGrubConfig.fromOverlay(overlay, forceInteractiveInstall: true).contains("{{"))
    }

    @Test func theBuiltInMenuBootsTheLiveRootWithTheSerialConsoleLast() throws {
        let menu = LiveGrubConfig.builtIn(forceInteractiveInstall: false)
        #expect(menu.hasPrefix("search --no-floppy --file --set=root /boot/kernel\nset default=0\nset timeout=2\n"))
        let linuxLines = menu.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("linux ") }
        #expect(linuxLines.count == 3)
        for line in linuxLines {
            #expect(line.contains("linux ($root)/boot/kernel cdroot root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs"))
            #expect(line.contains(" rd.cos.disable "))
            let consoles = line.split(separator: " ").filter { $0.hasPrefix("console=") }
            #expect(consoles.last?.hasPrefix("console=ttyS0") == true)
            #expect(line.hasSuffix(String(consoles.last!)))
        }
        #expect(linuxLines[2].contains("interactive-install"))
        #expect(menu.components(separatedBy: "initrd ($root)/boot/initrd").count == 4)
        #expect(LiveGrubConfig.builtIn(forceInteractiveInstall: true).contains("set default=2\n"))
    }

    @Test func theEmbeddedConfigFindsTheISOByItsKernelAndLoadsTheMenu() {
        #expect(LiveGrubConfig.embedded.contains("search --no-floppy --file --set=root /boot/kernel\n"))
        #expect(LiveGrubConfig.embedded.contains("configfile $prefix/grub.cfg"))
        #expect(LiveGrubConfig.embedded.contains("set prefix=($root)/boot/grub2"))
    }

    func platform(_ base: URL, _ platform: String) throws {
        let directory = base.appendingPathComponent(platform)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in GrubModules.requiredFiles(platform) { try Data().write(to: directory.appendingPathComponent(name)) }
    }

    @Test func modulesComeFromTheImageWhenItCarriesThemElseFromTheHost() throws {
        let work = try TemporaryDirectory.make(prefix: "edgeflash-grub")
        let root = work.appendingPathComponent("root"), host = work.appendingPathComponent("host")
        try platform(host, "i386-pc")
        try platform(host, "x86_64-efi")
        try platform(root.appendingPathComponent("usr/lib/grub"), "x86_64-efi")
        let found = try GrubModules.locate(.amd64, imageRoot: root.path, grubDirectory: nil, host: host.path)
        #expect(found.map(\.platform) == ["i386-pc", "x86_64-efi"])
        #expect(found.map(\.origin) == [.host, .image])
        #expect(found[1].path == root.path + "/usr/lib/grub/x86_64-efi")

        let error = try #require(throws: EdgeError.self) {
            try GrubModules.locate(.arm64, imageRoot: root.path, grubDirectory: nil, host: host.path)
        }
        #expect(error.code == .unavailable)
        #expect(error.message.contains("GRUB's arm64-efi modules are missing"))
        #expect(error.hint?.contains("grub-efi-arm64-bin") == true)

        try platform(work.appendingPathComponent("arm"), "arm64-efi")
        let arm = try GrubModules.locate(.arm64, imageRoot: root.path, grubDirectory: work.appendingPathComponent("arm").path, host: host.path)
        #expect(arm.map(\.origin) == [.grubDir])
    }

    /// A link in the image's GRUB directory is followed inside the image: an absolute target is
    /// the image's file, not this machine's, and what grub-mkimage and xorriso read is a copy in
    /// scratch with no link in it.
    @Test func theImagesModulesAreReadThroughLinksResolvedInsideTheRoot() throws {
        let work = try TemporaryDirectory.make(prefix: "edgeflash-grub-links")
        let root = work.appendingPathComponent("root"), secret = work.appendingPathComponent("secret")
        try platform(root.appendingPathComponent("usr/lib/grub"), "i386-pc")
        try platform(work, "x86_64-efi")
        try Data("HOST-SECRET".utf8).write(to: secret)
        let imagesSecret = root.appendingPathComponent(String(secret.path.dropFirst()))
        try FileManager.default.createDirectory(at: imagesSecret.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("the image's own".utf8).write(to: imagesSecret)
        let hybrid = root.appendingPathComponent("usr/lib/grub/i386-pc/boot_hybrid.img")
        try FileManager.default.removeItem(at: hybrid)
        try FileManager.default.createSymbolicLink(atPath: hybrid.path, withDestinationPath: secret.path)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("usr/lib/grub/i386-pc/echo.mod").path,
                                                   withDestinationPath: work.appendingPathComponent("nowhere").path)

        let found = try GrubModules.locate(.amd64, imageRoot: root.path, grubDirectory: nil, host: work.path)
        #expect(found.first?.origin == .image)
        let scratch = work.appendingPathComponent("scratch")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false)
        let copy = try found[0].readable(imageRoot: ImageRoot(path: root.path), in: scratch)
        #expect(try String(contentsOfFile: copy + "/boot_hybrid.img", encoding: .utf8) == "the image's own")
        #expect(try FileManager.default.attributesOfItem(atPath: copy + "/boot_hybrid.img")[.type] as? FileAttributeType == .typeRegular)
        #expect(try FileManager.default.contentsOfDirectory(atPath: copy).sorted() == GrubModules.requiredFiles("i386-pc").sorted())

        // Without the image's own file behind the link, the image's GRUB is incomplete.
        try FileManager.default.removeItem(at: imagesSecret)
        let error = try #require(throws: EdgeError.self) {
            try GrubModules.locate(.amd64, imageRoot: root.path, grubDirectory: nil, host: work.path)
        }
        #expect(error.message.contains("GRUB's i386-pc modules are missing"))
    }
}
