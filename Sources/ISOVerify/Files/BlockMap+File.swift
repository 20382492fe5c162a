import Crypto
import EdgeCore
import Foundation

/// A bmap file found and checked as bmaptool does it, before anything is written.
extension BlockMap {
    /// The bmap bmaptool would use for `image`: IMAGE.bmap, then the name with one extension less
    /// at a time (`disk.img.xz` → `disk.img.xz.bmap`, `disk.img.bmap`, `disk.bmap`); nil when none.
    public static func discover(forImage image: String) -> String? {
        var base = image
        while true {
            let candidate = base + ".bmap"
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let url = URL(fileURLWithPath: base)
            guard !url.pathExtension.isEmpty else { return nil }
            base = url.deletingPathExtension().path
        }
    }

    /// A bmap that was read and checked: its signature, when one is beside it, verified.
    public struct Checked: Sendable {
        public var map: BlockMap
        public var path: String
        /// "good signature bmap.asc: ..." when a signature was checked.
        public var signature: String?
    }

    /// Reads and parses `path`, checks its signature with gpgv (against `keyring`, or gpgv's default
    /// `trustedkeys` keyring, as bmaptool checks with the user's) and its own checksum. The signature
    /// is either inside the file (a clearsigned bmap: only the text gpgv says was signed is parsed)
    /// or beside it (`path.asc`, `path.sig`). A bad checksum or signature is a refusal (exit 4).
    public static func load(_ path: String, keyring: URL?) throws -> Checked {
        let url = URL(fileURLWithPath: path)
        guard let data = FileManager.default.contents(atPath: path) else { throw EdgeError.cannotRead(path, "no such file, or not readable") }
        guard data.count <= 64 << 20 else { throw EdgeError(.malformed, "\(path) is \(data.count) bytes: too large for a bmap") }
        guard let text = String(data: data, encoding: .utf8) else { throw EdgeError(.malformed, "\(path) is not text (not UTF-8)") }
        let signed: String, signature: String?
        if isClearsigned(text) {
            (signed, signature) = try verifyClearsigned(url, keyring: keyring, size: data.count)
        } else {
            signed = text
            signature = try ["asc", "sig"].map { url.appendingPathExtension($0) }
                .first { FileManager.default.fileExists(atPath: $0.path) }
                .map { try verifyDetached($0, over: url, keyring: keyring) }
        }
        let map = try parse(signed, fileName: url.lastPathComponent)
        if let expected = map.fileChecksum, let type = map.checksumType {
            let actual = try digest(Data(map.textForFileChecksum.utf8), type: type, file: url.lastPathComponent)
            guard actual == expected else {
                throw EdgeError(.mismatch, "\(url.lastPathComponent) is damaged: its \(type) is \(actual), the file says \(expected)",
                                hint: "download the bmap again, or pass --no-bmap to write the whole image")
            }
        }
        return Checked(map: map, path: path, signature: signature)
    }

    /// The armor line that starts an OpenPGP clearsigned message (`gpg --clearsign`). bmaptool looks
    /// for it at the file's start; gpgv also accepts text before it, so any line that starts with it
    /// counts: such a file is never read as a plain, unsigned bmap.
    static let clearsignHeader = "-----BEGIN PGP SIGNED MESSAGE-----"

    static func isClearsigned(_ text: String) -> Bool {
        text.hasPrefix(clearsignHeader) || text.contains("\n" + clearsignHeader)
    }

    /// The hex digest bmaptool's `ChecksumType` names (sha256, sha1, sha512).
    public static func digest(_ bytes: Data, type: String, file: String) throws -> String {
        var hash = try rangeHash(type: type, file: file)
        bytes.withUnsafeBytes { hash.update($0) }
        return hash.finalizeHex()
    }

    /// A fresh hash of the map's checksum type, for its ranges.
    public static func rangeHash(type: String, file: String) throws -> RangeHash {
        switch type {
        case "sha256": return .sha256(SHA256())
        case "sha1": return .sha1(Insecure.SHA1())
        case "sha512": return .sha512(SHA512())
        default: throw EdgeError(.malformed, "\(file) uses the checksum type '\(type)', which edgeflash does not know",
                                 hint: "pass --no-bmap to write the whole image")
        }
    }

    private static func verifyDetached(_ signature: URL, over bmap: URL, keyring: URL?) throws -> String {
        let (result, gist) = try Gpgv.run([signature.path, bmap.path], keyring: keyring)
        guard result.succeeded else {
            throw EdgeError(.mismatch, "the signature \(signature.lastPathComponent) does not verify \(bmap.lastPathComponent): \(gist)",
                            hint: signatureHint)
        }
        return "\(signature.lastPathComponent): \(gist)"
    }

    /// gpgv checks the clearsigned `bmap` and writes the text the signature covers to stdout: that
    /// text, never the file around it, is the bmap.
    private static func verifyClearsigned(_ bmap: URL, keyring: URL?, size: Int) throws -> (signed: String, signature: String) {
        let (result, gist) = try Gpgv.run(["--output", "-", bmap.path], keyring: keyring, captureLimit: max(size, 1 << 20))
        guard result.succeeded, !result.truncated else {
            throw EdgeError(.mismatch, "the clearsigned bmap \(bmap.lastPathComponent) does not verify: \(gist)", hint: signatureHint)
        }
        return (result.stdout, "\(bmap.lastPathComponent) (clearsigned): \(gist)")
    }

    private static let signatureHint = "the bmap may have been tampered with; give the signer's key with --keyring, or pass --no-bmap"
}

/// The hash of one bmap range, of the type the map names.
public enum RangeHash: @unchecked Sendable {
    case sha256(SHA256), sha1(Insecure.SHA1), sha512(SHA512)

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .sha256(var h): h.update(bufferPointer: bytes); self = .sha256(h)
        case .sha1(var h): h.update(bufferPointer: bytes); self = .sha1(h)
        case .sha512(var h): h.update(bufferPointer: bytes); self = .sha512(h)
        }
    }

    public func finalizeHex() -> String {
        switch self {
        case .sha256(let h): Hex.encode(h.finalize())
        case .sha1(let h): Hex.encode(h.finalize())
        case .sha512(let h): Hex.encode(h.finalize())
        }
    }
}
