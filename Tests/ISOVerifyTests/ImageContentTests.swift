import EdgeCore
import FileIO
import Foundation
import Testing
import TestSupport
@testable import ISOVerify

/// `ImageContent`, the one rule `write`, `verify` and `inspect` apply before reading an image, over
/// files the real tools made: formats edgeflash does not decode and the files that sit beside an
/// image are refused by name; images, raw filesystems and unknown binary files are not.
@Suite struct ImageContentTests {
    static let directory: URL = {
        let dir = try! TemporaryDirectory.make(prefix: "edgeflash-content")
        let iso = RealISOs.ipxe.path
        try! Shell.bash("""
            cd '\(dir.path)'
            cp '\(iso)' image.iso
            bzip2 -kc image.iso > image.iso.bz2
            xz --format=lzma -c image.iso > image.iso.lzma
            lz4 -q -c image.iso > image.iso.lz4
            lzip -c image.iso > image.iso.lz
            zip -q image.iso.zip image.iso
            tar -cf image.iso.tar image.iso
            pzstd -q -c image.iso > image.iso.zst
            (printf '\\x50\\x2a\\x4d\\x18\\x04\\x00\\x00\\x00abcd'; cat image.iso.lz4) > skippable-then.lz4
            truncate -s 8M disk.img && sgdisk -o -n1:2048:0 disk.img >/dev/null
            bmaptool create disk.img -o disk.img.bmap 2>/dev/null
            sha256sum disk.img image.iso > SHA256SUMS
            printf '#cloud-config\\nstylus:\\n  site:\\n    name: berlin\\n' > user-data.yaml
            printf 'Notes about this image.\\n' > README
            truncate -s 4M ext4.img && mkfs.ext4 -q ext4.img
            truncate -s 4M fat.img && mkfs.fat fat.img >/dev/null
            head -c 1M /dev/urandom > random.img
            xz -c < /dev/null > empty.img.xz
            zstd -q -c < /dev/null > empty.img.zst
            """)
        let key = try! SigningKey(in: dir)
        try! key.detachSign(dir.appendingPathComponent("disk.img.bmap").path, to: dir.appendingPathComponent("disk.img.bmap.asc").path, armor: true)
        try! key.detachSign(dir.appendingPathComponent("disk.img.bmap").path, to: dir.appendingPathComponent("disk.img.bmap.sig").path)
        return dir
    }()

    /// What `ImageContent` says of `name`: the format, or the refusal's message.
    private func content(_ name: String) throws -> Result<String, EdgeError> {
        let file = try OpenFile.open(Self.directory.appendingPathComponent(name).path)
        defer { file.close() }
        do {
            return .success(try ImageContent.compression(of: file)?.rawValue ?? "image")
        } catch let error as EdgeError {
            return .failure(error)
        }
    }

    @Test func formatsEdgeflashDoesNotDecodeAreRefusedByName() throws {
        for (name, says, unpack) in [("image.iso.bz2", "bzip2-compressed", "bzip2 -dk"), ("image.iso.lzma", "legacy LZMA (.lzma)", "xz -dk"),
                                     ("image.iso.lz4", "lz4-compressed", "lz4 -d"), ("image.iso.lz", "lzip-compressed", "lzip -dk"),
                                     ("image.iso.zip", "a zip archive", "unzip"), ("image.iso.tar", "a tar archive", "tar -xf"),
                                     ("skippable-then.lz4", "lz4-compressed", "lz4 -d")] {
            guard case .failure(let error) = try content(name) else { Issue.record("\(name) was taken for an image"); continue }
            #expect(error.code == .malformed)
            #expect(error.message.contains("is \(says), which edgeflash does not decode"), "\(name): \(error.message)")
            #expect(error.hint?.contains(unpack) == true, "\(name): \(error.hint ?? "")")
        }
    }

    @Test func filesBesideAnImageAreNotImages() throws {
        for (name, looksLike) in [("disk.img.bmap", "a bmap"), ("SHA256SUMS", "a checksum list (2 entries"),
                                  ("disk.img.bmap.asc", "OpenPGP armor (-----BEGIN PGP SIGNATURE-----)"),
                                  ("disk.img.bmap.sig", "a binary OpenPGP signature"),
                                  ("user-data.yaml", "cloud-init user-data"), ("README", "a text file")] {
            guard case .failure(let error) = try content(name) else { Issue.record("\(name) was taken for an image"); continue }
            #expect(error.code == .malformed)
            #expect(error.message.contains("is not a disk image: it looks like \(looksLike)"), "\(name): \(error.message)")
            #expect(!error.message.contains("berlin"), "no content of the file is quoted")
        }
    }

    @Test func imagesAndUnknownBinaryFilesAreImages() throws {
        for (name, format) in [("image.iso", "image"), ("disk.img", "image"), ("ext4.img", "image"), ("fat.img", "image"),
                               ("random.img", "image"), ("image.iso.zst", "zstd")] {
            guard case .success(let found) = try content(name) else { Issue.record("\(name) was refused"); continue }
            #expect(found == format, "\(name)")
        }
    }

    /// Was: written as 0 bytes and "Verified", the stick's first and last MiB wiped.
    @Test func anXzOrZstdFileStatingNoBytesIsRefused() throws {
        for name in ["empty.img.xz", "empty.img.zst"] {
            guard case .failure(let error) = try content(name) else { Issue.record("\(name) was taken for an image"); continue }
            #expect(error.code == .malformed && error.message.contains("decompresses to nothing"), "\(name): \(error.message)")
        }
    }
}
