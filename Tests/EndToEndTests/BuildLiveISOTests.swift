import Foundation
import Testing
import TestSupport

/// `edgeflash build iso --from-image dir:ROOT` as a user runs it, on a small root with a stand-in
/// kernel (the QEMU boot of a real one is BuildLiveISOBootTests' job); the result is checked from
/// outside with xorriso, unsquashfs, sha256sum and `edgeflash inspect`.
@Suite(.serialized)
struct BuildLiveISOTests {
    let dir: URL
    static let token = "tok-51ve-iso-secret"
    static let epoch = ["SOURCE_DATE_EPOCH": "1700000000"]

    init() throws {
        dir = try TemporaryDirectory.make(prefix: "edgeflash-live-iso")
        try write(".arg", "ISO_NAME=live-test\nFORCE_INTERACTIVE_INSTALL=true\n")
        try write("user-data", "#cloud-config\nstylus:\n  site:\n    edgeHostToken: \(Self.token)\n    projectName: edge\n")
        try write("overlay/files-iso/boot/grub2/grub.cfg", "search --no-floppy --file --set=root /boot/kernel\nset default={{DEFAULT_ENTRY}}\n")
        try write("overlay/files-iso/opt/spectrocloud/content/Readme.txt", "content goes here\n")
        try write("root/boot/vmlinuz-6.1.0-13-amd64", String(repeating: "kernel ", count: 5000))
        try write("root/boot/initrd.img-6.1.0-13-amd64", String(repeating: "initrd ", count: 3000))
        try FileManager.default.createSymbolicLink(atPath: path("root/boot/vmlinuz"), withDestinationPath: "vmlinuz-6.1.0-13-amd64")
        try FileManager.default.createSymbolicLink(atPath: path("root/boot/initrd"), withDestinationPath: "/boot/initrd.img-6.1.0-13-amd64")
        try write("root/etc/edgeflash-marker", "from the image\n")
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func build(_ arguments: [String], environment: [String: String] = epoch) throws -> ShellResult {
        try EdgeFlashBinary.run(["build", "iso"] + arguments.map { $0.replacingOccurrences(of: "@", with: dir.path + "/") },
                                environment: environment)
    }

    /// What is left in an output directory: nothing at all after a failure (no ISO, no temporary file, no scratch).
    func leftovers(_ name: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path(name))) ?? []
    }

    func extract(_ iso: String, _ isoPath: String, to name: String) throws -> String {
        let result = try Shell.run("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", isoPath, path(name)])
        #expect(result.succeeded, "\(result.stderr)")
        return path(name)
    }

    @Test func fromADirectoryTheISOHasAuroraBootsLayoutBootsOnBIOSAndUEFIAndIsReproducible() throws {
        let first = try build(["--from-image", "dir:@root", "--arg", "@.arg", "--output", "@one"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("  /boot/kernel  <- /boot/vmlinuz\n"))
        #expect(first.stdout.contains("  /boot/grub2/grub.cfg  <- \(dir.path)/overlay/files-iso/boot/grub2/grub.cfg\n"))
        #expect(first.stdout.contains("GRUB: i386-pc from this machine's grub packages (/usr/lib/grub/i386-pc), x86_64-efi from"))
        #expect(first.stderr.contains("edgeflash: squashing \(dir.path)/root into rootfs.squashfs"))
        #expect(!(first.stdout + first.stderr).contains(Self.token))
        let iso = path("one/live-test.iso")
        #expect(leftovers("one").sorted() == ["live-test.iso", "live-test.iso.sha256"])

        let volume = try Shell.bash("isoinfo -d -i '\(iso)' | grep '^Volume id'")
        #expect(volume == "Volume id: COS_LIVE\n")
        let listing = try Shell.bash("xorriso -indev '\(iso)' -find / -type f 2>/dev/null")
        for file in ["/boot/kernel", "/boot/initrd", "/rootfs.squashfs", "/boot/grub2/grub.cfg", "/files-iso/config.yaml",
                     "/opt/spectrocloud/content/Readme.txt", "/boot/eltorito.img", "/boot/uefi.img"] {
            #expect(listing.contains("'\(file)'\n"), "\(file) missing from \(listing)")
        }
        // FORCE_INTERACTIVE_INSTALL=true: the overlay's menu boots entry 2, the interactive installer.
        let menu = try String(contentsOfFile: try extract(iso, "/boot/grub2/grub.cfg", to: "menu.cfg"), encoding: .utf8)
        #expect(menu == "search --no-floppy --file --set=root /boot/kernel\nset default=2\n")
        #expect(try Shell.run("cmp", [try extract(iso, "/boot/kernel", to: "kernel"), path("root/boot/vmlinuz-6.1.0-13-amd64")]).succeeded)
        #expect(try Shell.run("cmp", [try extract(iso, "/files-iso/config.yaml", to: "config.yaml"), path("user-data")]).succeeded)
        let squashed = try Shell.run("unsquashfs", ["-l", try extract(iso, "/rootfs.squashfs", to: "rootfs.squashfs")])
        #expect(squashed.stdout.contains("squashfs-root/etc/edgeflash-marker\n"))
        #expect(squashed.stdout.contains("squashfs-root/boot/vmlinuz\n"))

        let boot = try Shell.bash("xorriso -indev '\(iso)' -report_el_torito plain -report_system_area plain 2>/dev/null")
        #expect(boot.contains("El Torito boot img :   1  BIOS  y   none"))
        #expect(boot.contains("El Torito boot img :   2  UEFI  y   none"))
        #expect(boot.contains("El Torito img path :   1  /boot/eltorito.img"))
        #expect(boot.contains("System area summary: MBR protective-msdos-label grub2-mbr cyl-align-off GPT"))
        #expect(boot.contains("Partition offset   : 16"))
        #expect(boot.contains("MBR partition      :   2   0x80"))
        #expect(boot.contains("GPT partname local :   2  Appended2"))
        #expect(boot.contains("GPT type GUID      :   2  28732ac11ff8d211ba4b00a0c93ec93b"))   // EFI system partition
        #expect(!boot.contains("boot.catalog"))   // hidden

        let inspect = try EdgeFlashBinary.run(["inspect", iso])
        #expect(inspect.stdout.contains("Verdict: boots from USB on BIOS and UEFI"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("EFI/BOOT/BOOTX64.EFI (x86-64)"))
        let check = try Shell.run("/bin/sh", ["-c", "cd '\(path("one"))' && sha256sum -c live-test.iso.sha256"])
        #expect(check.stdout == "live-test.iso: OK\n")

        let second = try build(["--from-image", "dir:@root", "--arg", "@.arg", "--output", "@two"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try Shell.run("cmp", [iso, path("two/live-test.iso")]).succeeded)
    }

    /// A hostile image whose GRUB directory (a copy of this machine's) links boot_hybrid.img to a
    /// file of this machine: the link is followed inside the image, where it leads nowhere, so the
    /// image's GRUB is incomplete and this machine's is used; the file's bytes are nowhere in the
    /// ISO (not in the MBR) and the ISO holds no link.
    @Test func aGRUBLinkToThisMachinesFileNeverBringsItIntoTheISO() throws {
        let marker = "HOST-SECRET-51ve-"
        try write("host-secret", String(repeating: marker, count: 64))
        _ = try Shell.bash("cp -a '\(path("root"))' '\(path("hostile"))' && mkdir -p '\(path("hostile/usr/lib/grub"))'"
                           + " && cp -a /usr/lib/grub/i386-pc '\(path("hostile/usr/lib/grub/"))'"
                           + " && ln -sf '\(path("host-secret"))' '\(path("hostile/usr/lib/grub/i386-pc/boot_hybrid.img"))'")
        let result = try build(["--from-image", "dir:@hostile", "--arg", "@.arg", "--output", "@hostile-out"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("GRUB: i386-pc from this machine's grub packages (/usr/lib/grub/i386-pc)"), "\(result.stdout)")
        let iso = try Data(contentsOf: URL(fileURLWithPath: path("hostile-out/live-test.iso")))
        #expect(iso.prefix(512).range(of: Data(marker.utf8)) == nil)
        #expect(iso.range(of: Data(marker.utf8)) == nil)
        let links = try Shell.bash("xorriso -indev '\(path("hostile-out/live-test.iso"))' -find / -type l 2>/dev/null")
        #expect(links.isEmpty, "\(links)")
    }

    @Test func withoutAnOverlayTheBuiltInMenuBootsTheDefaultEntryOnTheSerialConsole() throws {
        // A checkout without overlay/files-iso beside its .arg.
        try write("plain/.arg", "ISO_NAME=plain\n")
        let result = try build(["--from-image", "dir:@root", "--arg", "@plain/.arg", "--user-data", "@user-data",
                                "--output", "@plain/build", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["menu"] as? String == "built-in")
        #expect(object["volumeID"] as? String == "COS_LIVE")
        #expect(object["architecture"] as? String == "amd64")
        let menu = try String(contentsOfFile: try extract(path("plain/build/plain.iso"), "/boot/grub2/grub.cfg", to: "plain.cfg"), encoding: .utf8)
        #expect(menu.contains("set default=0\nset timeout=2\n"))
        #expect(menu.contains("root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs"))
    }

    @Test func aMissingKernelOrInitrdOrAKernelOfAnotherArchitectureIsInvalidInputAndNothingIsWritten() throws {
        try write("bare/etc/os-release", "ID=debian\n")
        let noKernel = try build(["--from-image", "dir:@bare", "--arg", "@.arg", "--output", "@bare-out"])
        #expect(noKernel.status == 6)
        #expect(noKernel.stderr.contains("the image has no kernel: looked for /boot/vmlinuz, /boot/vmlinuz-*"))
        #expect(leftovers("bare-out").isEmpty)

        try write("bare/boot/vmlinuz", "k")
        let noInitrd = try build(["--from-image", "dir:@bare", "--arg", "@.arg", "--output", "@bare-out"])
        #expect(noInitrd.status == 6)
        #expect(noInitrd.stderr.contains("the image has no initrd (initramfs): looked for /boot/initrd, /boot/initrd.img"))
        #expect(leftovers("bare-out").isEmpty)

        // An arm64 Image (its magic at 0x38) in an image built into an amd64 ISO.
        try write("bare/boot/initrd", "i")
        try write("bare/boot/vmlinuz", String(repeating: "\u{0}", count: 0x38) + "ARM\u{64}" + String(repeating: "\u{0}", count: 64))
        let otherArch = try build(["--from-image", "dir:@bare", "--arg", "@.arg", "--output", "@bare-out"])
        #expect(otherArch.status == 6)
        #expect(otherArch.stderr.contains("the image is for arm64: its kernel /boot/vmlinuz is an arm64 kernel, and the ISO is for amd64"))
        #expect(leftovers("bare-out").isEmpty)
    }

    @Test func theCommandLineSaysWhatIsWrong() throws {
        let neither = try build(["--arg", "@.arg"])
        #expect(neither.status == 64)
        #expect(neither.stderr.contains("Give --from-image SOURCE (build the ISO from an image) or --base-iso BASE"))
        let both = try build(["--from-image", "dir:@root", "--base-iso", "/usr/lib/ipxe/ipxe.iso", "--arg", "@.arg"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("--from-image and --base-iso exclude each other"))
        let arch = try build(["--from-image", "dir:@root", "--arg", "@.arg", "--arch", "riscv64", "--output", "@arch"])
        #expect(arch.status == 64)
        #expect(arch.stderr.contains("architecture riscv64 is not supported (allowed: amd64, arm64)"))
        let transport = try build(["--from-image", "docker-daemon:x:1", "--arg", "@.arg", "--output", "@daemon"])
        #expect(transport.status == 64)
        #expect(transport.stderr.contains("image source 'docker-daemon:x:1'"))
        #expect(leftovers("daemon").isEmpty)
    }

    /// An OCI layout made with umoci from the test's root, tag v1; `withRoot: false` leaves it empty.
    func ociLayout(_ name: String, withRoot: Bool) throws -> String {
        let layout = path(name), bundle = path(name + "-bundle")
        var script = "umoci init --layout '\(layout)' && umoci new --image '\(layout):v1'"
        if withRoot {
            script += " && umoci unpack --image '\(layout):v1' '\(bundle)' >/dev/null && cp -a '\(path("root"))/.' '\(bundle)/rootfs/'"
                + " && umoci repack --image '\(layout):v1' '\(bundle)' && rm -rf '\(bundle)'"
        }
        _ = try Shell.bash(script)
        return layout
    }

    /// An oci: layout is unpacked (skopeo, umoci) into a scratch directory beside the output, the
    /// ISO built from the unpacked root, and the scratch removed, also when the image has no kernel.
    @Test func anOCILayoutIsUnpackedBesideTheOutputBuiltFromAndTheScratchRemoved() throws {
        let layout = try ociLayout("layout", withRoot: true)
        let result = try build(["--from-image", "oci:\(layout):v1", "--arg", "@.arg", "--output", "@oci"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("From oci:\(layout):v1 (sha256:"), "\(result.stdout)")
        #expect(leftovers("oci").sorted() == ["live-test.iso", "live-test.iso.sha256"])
        let iso = path("oci/live-test.iso")
        #expect(try Shell.run("cmp", [try extract(iso, "/boot/kernel", to: "oci-kernel"), path("root/boot/vmlinuz-6.1.0-13-amd64")]).succeeded)
        let squashed = try Shell.run("unsquashfs", ["-l", try extract(iso, "/rootfs.squashfs", to: "oci.squashfs")])
        #expect(squashed.stdout.contains("squashfs-root/etc/edgeflash-marker\n"))

        // --json names the boot files in the image; their paths in the removed scratch are null.
        let json = try build(["--from-image", "oci:\(layout):v1", "--arg", "@.arg", "--output", "@oci-json", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let boot = try #require(object["boot"] as? [String: Any])
        #expect(boot["kernel"] is NSNull && boot["initrd"] is NSNull, "\(boot)")
        #expect(boot["kernelInImage"] as? String == "/boot/vmlinuz" && boot["initrdInImage"] as? String == "/boot/initrd")

        let empty = try ociLayout("empty", withRoot: false)
        let refused = try build(["--from-image", "oci:\(empty):v1", "--arg", "@.arg", "--output", "@oci-empty"])
        #expect(refused.status == 6, "\(refused.stderr)")
        #expect(refused.stderr.contains("the image has no kernel: looked for /boot/vmlinuz"))
        #expect(refused.stderr.contains("\(path("oci-empty"))/.live-test.iso.image-"))
        #expect(leftovers("oci-empty").isEmpty)
    }

    @Test func aDiskFillingUpDuringMksquashfsIsAnIOErrorAndLeavesNothing() throws {
        // A 32 MiB ext4 as the output: room for the up-front check, not for 40 MB of incompressible data.
        let image = path("small.ext4"), mount = path("small")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        _ = try Shell.bash("truncate -s 32M '\(image)' && mkfs.ext4 -q -F '\(image)' && mount -o loop '\(image)' '\(mount)'")
        defer { _ = try? Shell.run("umount", ["-d", mount]) }
        _ = try Shell.bash("cp -a '\(path("root"))' '\(path("fat-root"))' && head -c 40000000 /dev/urandom > '\(path("fat-root/blob"))'")
        let result = try build(["--from-image", "dir:@fat-root", "--arg", "@.arg", "--output", "@small/out"])
        #expect(result.status == 5, "\(result.stderr)")
        #expect(result.stderr.contains("no space left on the device holding \(mount)/out while squashing the image root; nothing was written"))
        #expect(leftovers("small/out").isEmpty)
    }

    /// SIGINT while mksquashfs runs: exit 130, mksquashfs stopped, and nothing is left in the
    /// output directory: no ISO, no temporary file, no scratch directory with the squashfs.
    @Test func interruptedWhileSquashingLeavesNothingBehind() throws {
        _ = try Shell.bash("cp -a '\(path("root"))' '\(path("slow-root"))' && head -c 20000000 /dev/urandom > '\(path("slow-root/blob"))'")
        let process = Process()
        process.executableURL = EdgeFlashBinary.url
        process.arguments = ["build", "iso", "--from-image", "dir:" + path("slow-root"), "--arg", path(".arg"), "--output", path("stopped")]
        let stderr = dir.appendingPathComponent("stopped.stderr")
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardOutput = FileHandle.nullDevice
        try process.run()

        // Catch mksquashfs and hold it, so the signal surely comes while it squashes.
        let squashing = try #require(BuildISOInputTests.waitForChild(of: process.processIdentifier, withArgument: "-noappend"),
                                     "mksquashfs never started")
        kill(squashing, SIGSTOP)
        #expect(leftovers("stopped").contains { $0.hasPrefix(".live-test.iso.build-") })
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let message = try String(contentsOf: stderr, encoding: .utf8)
        #expect(message.contains("edgeflash: interrupted: no ISO was written and the temporary files are removed"), "\(message)")
        #expect(leftovers("stopped").isEmpty)
        #expect(kill(squashing, 0) == -1, "mksquashfs \(squashing) still runs")
    }

    @Test func arm64IsAUEFIOnlyISOWithGRUBsArm64Loader() throws {
        let fetch = try Shell.run(BootFixture.repositoryRoot.appendingPathComponent("scripts/fixtures/grub-arm64.sh").path, [])
        try #require(fetch.succeeded, "scripts/fixtures/grub-arm64.sh: \(fetch.stderr)")
        let grub = fetch.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let result = try build(["--from-image", "dir:@root", "--arg", "@.arg", "--arch", "arm64", "--grub-dir", grub, "--output", "@arm"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("GRUB: arm64-efi from --grub-dir (\(grub)/arm64-efi)"))
        let iso = path("arm/live-test.iso")
        let boot = try Shell.bash("xorriso -indev '\(iso)' -report_el_torito plain 2>/dev/null | grep 'boot img'")
        #expect(boot == "El Torito boot img :   1  UEFI  y   none  0x0000  0x00   8192        \(boot.split(separator: " ").last ?? "")")
        let inspect = try EdgeFlashBinary.run(["inspect", iso])
        #expect(inspect.stdout.contains("Verdict: boots from USB on UEFI only"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("EFI/BOOT/BOOTAA64.EFI (arm64)"))
    }
}
