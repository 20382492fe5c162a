import Decompression
import EdgeCore
import FileIO
import Foundation

/// The full answer of `edgeflash inspect`: one check per line, then the boot verdict.
/// Encoded as is for `--json` (schema documented in docs/inspect-json.md; bump `schemaVersion`
/// on any incompatible change).
public struct Inspection: Sendable, Codable {
    public struct Check: Sendable, Codable, Equatable {
        public enum Status: String, Sendable, Codable {
            case pass, fail, warn, info
            /// Present but not checked (needs --deep or --keyring).
            case notChecked = "not-checked"
        }
        /// Stable identifier: "iso9660", "joliet", "descriptors", "volume-info", "el-torito",
        /// "efi-image", "mbr", "gpt", "apm", "implanted-md5", "checksum", "signature", "compression".
        public var id: String
        public var status: Status
        public var detail: String
    }

    public struct DigestCheck: Sendable, Codable, Equatable {
        public var source: String
        public var algorithm: String
        public var expected: String
        /// nil when not computed (without --deep).
        public var actual: String?
        public var matches: Bool? { actual.map { $0 == expected } }
    }

    public var schemaVersion = 1
    public var image: String
    public var fileSize: Int64
    public var structure: ImageStructure
    public var implantedMD5: DigestCheck?
    public var checksum: DigestCheck?
    /// A compressed image's list with a line for the image it decompresses to as well: that line.
    public var decodedChecksum: DigestCheck?
    public var signatures: [DetachedSignature]
    public var checks: [Check]
    public var verdict: BootVerdict
    public var verdictSummary: String
    /// For a compressed image: its format, and the decompressed length when the file states it.
    public var compression: Compression?

    public struct Compression: Sendable, Codable, Equatable {
        public var format: CompressionFormat
        public var decodedBytes: Int64?
        /// Why the length is not stated, when the file is truncated or damaged (`DecodedSize.damage`).
        public var damage: String?
    }
    /// The first failure as a user error (its exit status is inspect's); nil when nothing failed.
    public var failure: EdgeError? { failures.first }
    var failures: [EdgeError] = []

    enum CodingKeys: String, CodingKey {
        case schemaVersion, image, fileSize, compression, structure, implantedMD5, checksum, decodedChecksum, signatures, checks, verdict, verdictSummary
    }
}

extension Inspection {
    /// `--deep` on a compressed image: the whole stream decoded, so a truncated, corrupt or
    /// trailing one fails (first, with the write's words and exit status) instead of passing on
    /// the strength of its first MiBs.
    mutating func checkWholeStream(_ view: DecodedView, progress: ((String, Int64, Int64) -> Void)?) {
        let name = view.format.rawValue
        do {
            let whole = try WholeDecode.run(view.file, format: view.format) { progress?("\(name) stream", $0, view.file.size) }
            checks.insert(.init(id: "compression", status: .pass, detail: "the \(name) stream decodes whole: \(whole.decodedBytes) bytes, every check in it matches"), at: 1)
        } catch {
            let failure = (error as? EdgeError) ?? (error as? DeviceIOError).map(EdgeError.cannotRead)
                ?? EdgeError(.malformed, "\(view.path): \(error)")
            checks.insert(.init(id: "compression", status: .fail, detail: failure.message), at: 1)
            failures.insert(failure, at: 0)
        }
    }
}

/// Runs every check of `inspect` on one image.
public enum Inspector {
    public struct Options: Sendable {
        /// Read the whole image: implanted MD5, checksum file, signatures over the image.
        public var deep = false
        public var keyring: URL?
        /// Signatures over files up to this size are always checked (checksum files, small images).
        public var cheapSignatureBytes: Int64 = 16 << 20
        public init(deep: Bool = false, keyring: URL? = nil) { self.deep = deep; self.keyring = keyring }
    }

    public static func inspect(image: URL, options: Options = Options(),
                               progress: ((String, Int64, Int64) -> Void)? = nil) throws -> Inspection {
        if let keyring = options.keyring { try Gpgv.requireKeyring(keyring) }
        return try ImageFileAccess.withImage(image.path) { file, format in
            var inspection = try inspect(image: image, file: file, options: options, progress: progress)
            if let view = file as? DecodedView {
                inspection.checks.insert(.init(id: "compression", status: .info, detail:
                    "\(view.format.rawValue)-compressed: read through its first \(DecodedView.readableBytes >> 20) MiB decompressed; structures past them (a backup GPT at a disk image's end) are not read"), at: 0)
                let damage = view.statedSize == nil ? DecodedSize.damage(of: view.file, format: view.format) : nil
                if options.deep {
                    inspection.checkWholeStream(view, progress: progress)
                } else if let damage {  // --deep finds it decoding
                    inspection.checks.insert(.init(id: "compression", status: .fail, detail: damage.message), at: 1)
                    inspection.failures.insert(damage, at: 0)
                }
                inspection.fileSize = view.file.size
                inspection.compression = Inspection.Compression(format: view.format, decodedBytes: view.statedSize, damage: damage?.message)
            }
            return inspection
        }
    }

    /// `file`: the image's bytes (decompressed, for a compressed image). Checksum files and
    /// signatures beside the image are over the file as stored.
    private static func inspect(image: URL, file: any ImageBytes, options: Options,
                                progress: ((String, Int64, Int64) -> Void)?) throws -> Inspection {
        let s = try ImageStructure.read(file)
        let storedSize = (file as? DecodedView)?.file.size ?? file.size
        var checks: [Inspection.Check] = []
        var failures: [EdgeError] = []
        func add(_ id: String, _ status: Inspection.Check.Status, _ detail: String, _ failure: EdgeError? = nil) {
            checks.append(.init(id: id, status: status, detail: detail))
            if status == .fail { failures.append(failure ?? EdgeError(.malformed, detail)) }
        }
        volumeChecks(s, add)
        bootChecks(s, add)
        systemAreaChecks(s, add)

        // Implanted MD5.
        var implanted: Inspection.DigestCheck?
        if let sanity = s.sanity {
            do {
                if let md5 = try ImplantedMD5.parse(applicationUse: sanity.descriptors.primaryApplicationUse) {
                    var check = Inspection.DigestCheck(source: "primary volume descriptor", algorithm: "md5", expected: md5.md5)
                    if options.deep {
                        check.actual = try md5.compute(file, volumeBytes: sanity.volumeBytes) { progress?("implanted MD5", $0, sanity.volumeBytes) }
                        if check.matches == true {
                            add("implanted-md5", .pass, "implanted MD5 \(md5.md5) matches (checkisomd5 convention, \(md5.skipSectors) sectors skipped)")
                        } else {
                            add("implanted-md5", .fail, "implanted MD5 mismatch: expected \(md5.md5), computed \(check.actual!)",
                                EdgeError(.mismatch, "implanted MD5 mismatch in \(image.lastPathComponent): expected \(md5.md5), computed \(check.actual!)",
                                          hint: "the image is corrupt; download it again"))
                        }
                    } else {
                        add("implanted-md5", .notChecked, "implanted MD5 \(md5.md5) found; --deep checks it")
                    }
                    implanted = check
                } else {
                    add("implanted-md5", .info, "no implanted MD5 (implantisomd5 was not run on this image)")
                }
            } catch {
                // A read error while hashing fails this check, in ISOVerify's words, as a parse error does.
                guard let e = (error as? EdgeError) ?? (error as? DeviceIOError).map(EdgeError.cannotRead) else { throw error }
                add("implanted-md5", .fail, e.message, e)
            }
        }

        /// `expected` checked (`--deep`) over the file as stored, or over its decoded bytes; `second`:
        /// the decoded image's line beside the compressed file's, its row says so.
        func digestCheck(_ expected: ExpectedChecksum, decoded: Bool, second: Bool = false) throws -> Inspection.DigestCheck {
            var check = Inspection.DigestCheck(source: expected.source, algorithm: expected.algorithm.rawValue, expected: expected.hex)
            let what = second ? "the decoded image" : "the image"
            guard options.deep else {
                add("checksum", .notChecked, "\(expected.source) has a \(expected.algorithm.rawValue) for \(second ? what : "this image"); --deep (or edgeflash verify) checks it")
                return check
            }
            if decoded, let view = file as? DecodedView {
                check.actual = try WholeDecode.run(view.file, format: view.format, algorithm: expected.algorithm) {
                    progress?(expected.algorithm.rawValue, $0, storedSize)
                }.digest
            } else {
                check.actual = try FileHasher.hash(file: image, algorithm: expected.algorithm) { progress?(expected.algorithm.rawValue, $0, storedSize) }
            }
            let over = second ? " (of the decoded image)" : expected.decodedImageLine != nil ? " (of the compressed file)" : ""
            if check.matches == true {
                add("checksum", .pass, "\(expected.algorithm.rawValue)\(over) matches \(expected.source)")
            } else {
                add("checksum", .fail, "\(expected.algorithm.rawValue)\(over) mismatch: \(expected.source) says \(expected.hex), \(what) is \(check.actual!)",
                    EdgeError(.mismatch, "\(second ? "the decoded image of " : "")\(image.lastPathComponent) does not match \(expected.source): expected \(expected.hex), got \(check.actual!)",
                              hint: "download the image again"))
            }
            return check
        }

        // Checksum file beside the image; a list with lines for both a compressed image and the
        // image it decompresses to has both checked, as a write checks them.
        var checksum: Inspection.DigestCheck?
        var decodedChecksum: Inspection.DigestCheck?
        do {
            let view = file as? DecodedView
            let decodedName = view.flatMap { _ in CompressedImageChecksum.decompressedName(of: image.lastPathComponent) }
            if let expected = try ChecksumDiscovery.find(forImage: image, decodedName: decodedName) {
                checksum = try digestCheck(expected, decoded: view != nil && expected.coverage == .image)
                if view != nil, expected.coverage == .storedFile, let line = expected.overImage {
                    decodedChecksum = try digestCheck(line, decoded: true, second: true)
                }
            } else {
                add("checksum", .warn, "unverified: no IMAGE.sha256, IMAGE.sha512, SHA256SUMS or SHA512SUMS beside the image")
            }
        } catch let e as EdgeError {
            add("checksum", .fail, e.message, e)
        }

        // Detached signatures.
        var signatures: [DetachedSignature] = []
        let pairs = DetachedSignature.discover(forImage: image)
        if pairs.isEmpty {
            add("signature", .warn, "unsigned: no .sig/.asc/.gpg beside the image or its checksum file")
        }
        for pair in pairs {
            let size = (try? FileManager.default.attributesOfItem(atPath: pair.signed.path)[.size] as? Int64) ?? 0
            let sig: DetachedSignature
            if options.keyring != nil && !options.deep && size > options.cheapSignatureBytes {
                sig = DetachedSignature(signatureFile: pair.signature.lastPathComponent, signedFile: pair.signed.lastPathComponent,
                                        status: .notChecked, detail: "covers the whole image; --deep checks it")
            } else {
                sig = try DetachedSignature.verify(signature: pair.signature, signed: pair.signed, keyring: options.keyring)
            }
            signatures.append(sig)
            switch sig.status {
            case .good: add("signature", .pass, "\(sig.signatureFile) is a good signature over \(sig.signedFile): \(sig.detail)")
            case .bad: add("signature", .fail, "\(sig.signatureFile) does NOT verify \(sig.signedFile): \(sig.detail)", sig.problem)
            case .notChecked: add("signature", .notChecked, "\(sig.signatureFile) over \(sig.signedFile) found; \(sig.detail)")
            }
        }

        let verdict = s.verdict
        var inspection = Inspection(image: image.path, fileSize: file.size, structure: s, implantedMD5: implanted,
                                    checksum: checksum, signatures: signatures, checks: checks, verdict: verdict,
                                    verdictSummary: verdict.summaryText)
        inspection.decodedChecksum = decodedChecksum
        inspection.failures = failures
        return inspection
    }

    static func volumeChecks(_ s: ImageStructure, _ add: (String, Inspection.Check.Status, String, EdgeError?) -> Void) {
        guard let v = s.sanity else {
            let message = s.errors["volume"] ?? "no ISO 9660 volume"
            add("iso9660", .fail, message, EdgeError(.malformed, message))
            return
        }
        let p = v.descriptors.primary
        switch v.verdict {
        case .truncated:
            add("iso9660", .fail, v.problem!.message, v.problem)
        case .whole:
            guard v.fileSize != DecodedView.unstatedSize else {
                add("iso9660", .pass, "primary volume '\(VisibleText.inLine(p.volumeID))': a \(v.volumeBytes)-byte volume (the compressed file does not state its decompressed length: a write finds where it ends)", nil)
                break
            }
            let extra = v.trailingBytes > 0 ? " and \(v.trailingBytes) bytes after it (appended partitions or padding)" : ""
            add("iso9660", .pass, "primary volume '\(VisibleText.inLine(p.volumeID))': the \(v.fileSize)-byte file holds the whole \(v.volumeBytes)-byte volume\(extra)", nil)
        }
        for w in p.warnings { add("iso9660", .warn, w, nil) }
        if let j = v.descriptors.joliet {
            add("joliet", .info, "Joliet supplementary descriptor at sector \(j.sector), volume '\(VisibleText.inLine(j.volumeID))'", nil)
        } else {
            add("joliet", .info, "no Joliet descriptor (long names only through Rock Ridge, if any)", nil)
        }
        if let t = v.descriptors.terminatorSector {
            add("descriptors", .pass, "descriptor set ends with a terminator at sector \(t)", nil)
        } else {
            add("descriptors", .warn, "the descriptor set has no terminator (stopped at the first non-descriptor)", nil)
        }
        add("volume-info", .info, "publisher '\(VisibleText.inLine(p.publisherID))', application '\(VisibleText.inLine(p.applicationID))', created \(p.creationDate ?? "unset")", nil)
    }

    static func bootChecks(_ s: ImageStructure, _ add: (String, Inspection.Check.Status, String, EdgeError?) -> Void) {
        if let error = s.errors["boot catalog"] {
            add("el-torito", .fail, error, EdgeError(.malformed, error))
        } else if let c = s.bootCatalog {
            let entries = c.entries.map { e in
                "\(e.index): \(e.platform.rawValue)\(e.bootable ? "" : " (not bootable)"), \(e.emulation.rawValue), load \(e.loadSectors) sectors at block \(e.loadLBA)"
            }
            add("el-torito", .pass, "boot catalog at sector \(c.sector), validation checksum OK; " + entries.joined(separator: "; "), nil)
        } else if s.sanity != nil {
            add("el-torito", .info, "no El Torito boot record: not bootable from CD/DVD", nil)
        }
        for image in s.efiBootImages {
            let place = image.insideVolume ? "inside the ISO volume" : (image.insideFile ? "after the ISO volume (an appended partition)" : "past the end of the file")
            if let fat = image.fat, image.insideFile {
                let what = "entry \(image.entry): FAT image at block \(image.lba), \(image.sizeBytes) bytes\(fat.label.isEmpty || fat.label == "NO NAME" ? "" : " '\(VisibleText.inLine(fat.label))'"), \(place)"
                switch image.loaders {
                case .some(let loaders) where !loaders.isEmpty:
                    add("efi-image", .pass, what + ", starts " + EFIBootLoaders.describe(loaders), nil)
                case .some:
                    add("efi-image", .warn, what + ", but it holds no EFI/BOOT/BOOT*.EFI: UEFI firmware finds nothing to start", nil)
                case .none:
                    add("efi-image", .warn, what + ", but its directories cannot be read", nil)
                }
            } else if image.fat == nil {
                add("efi-image", .warn, "entry \(image.entry): the UEFI boot image at block \(image.lba) is not a FAT filesystem", nil)
            } else {
                add("efi-image", .fail, "entry \(image.entry): the UEFI boot image at block \(image.lba) (\(image.sizeBytes) bytes) runs past the end of the file", nil)
            }
        }
    }

    static func systemAreaChecks(_ s: ImageStructure, _ add: (String, Inspection.Check.Status, String, EdgeError?) -> Void) {
        if let error = s.errors["MBR"] {
            add("mbr", .fail, error, EdgeError(.malformed, error))
        } else if let mbr = s.mbr {
            let bios = s.bootCatalog?.entries.first { $0.platform == .x86BIOS && $0.bootable }
            var facts = [mbr.hasBootCode ? "boot code present" : "no boot code"]
            if let bios, mbr.pointsAt(bootImageLBA: bios.loadLBA) { facts.append("isohybrid signature (0x1B0 points at the El Torito BIOS image)") }
            let parts = mbr.partitions.map { p in
                "\(p.number): \(p.bootable ? "active " : "")0x\(String(format2hex: p.type)) \(p.typeName), start \(p.startLBA), \(p.sectors) sectors\(p.startLBA == 0 ? " (starts at LBA 0: covers the ISO itself)" : "")"
            }
            facts.append(parts.isEmpty ? "no partitions" : "partitions " + parts.joined(separator: "; "))
            add("mbr", .info, facts.joined(separator: ", "), nil)
        } else {
            add("mbr", .info, "no MBR (no 55 AA signature at byte 510)", nil)
        }
        if let error = s.errors["GPT"] {
            add("gpt", .fail, error, EdgeError(.malformed, error))
        } else if let g = s.gpt {
            let parts = g.partitions.map { "\($0.number) '\(VisibleText.inLine($0.name))' \($0.typeName) \($0.firstLBA)-\($0.lastLBA)" }
            add("gpt", .pass, "header and entry array CRC32 OK, \(g.sectorSize)-byte sectors, \(g.partitions.count) partitions: " + parts.joined(separator: "; "), nil)
            switch g.backupPlacement {
            case .endOfImage:
                add("gpt", .info, "backup header at sector \(g.backupLBA), the end of the image\(g.backupValid ? "" : " (not valid there)"): on a stick larger than the image it is not at the end of the disk", nil)
            case .insideImage:
                add("gpt", .warn, "backup header at sector \(g.backupLBA), inside the image\(g.backupValid ? "" : " (not valid there)")", nil)
            case .pastEnd:
                add("gpt", .warn, "backup header at sector \(g.backupLBA) lies past the end of the image", nil)
            }
        }
        if let error = s.errors["APM"] {
            add("apm", .fail, error, EdgeError(.malformed, error))
        } else if let a = s.apm, !a.partitions.isEmpty {
            add("apm", .info, "Apple partition map, \(a.blockSize)-byte blocks: " + a.partitions.map { "\($0.number) '\(VisibleText.inLine($0.name))' \(VisibleText.inLine($0.type))" }.joined(separator: "; "), nil)
        }
    }
}
