import EdgeCore
import Foundation

/// Detached OpenPGP signatures beside the image (IMAGE.sig, IMAGE.asc, IMAGE.gpg) or beside its
/// checksum file (IMAGE.sha256.sig, SHA256SUMS.gpg...), checked with `gpgv` against a keyring.
/// A missing signature is "unsigned", never a pass; a bad one is a refusal.
public struct DetachedSignature: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// gpgv accepted the signature with the given keyring.
        case good
        /// gpgv rejected it (bad signature, unknown key, wrong data).
        case bad
        /// A signature exists but no keyring was given: not checked.
        case notChecked = "not checked"
    }

    public var signatureFile: String
    /// The file the signature covers (the image or a checksum file).
    public var signedFile: String
    public var status: Status
    /// gpgv's own words (the key and signer on success, the reason on failure).
    public var detail: String

    public static let suffixes = ["sig", "asc", "gpg", "sign"]

    /// Every (signature, signed file) pair found beside `image`, for the image itself and for the
    /// checksum files `ChecksumDiscovery` looks at.
    public static func discover(forImage image: URL) -> [(signature: URL, signed: URL)] {
        let dir = image.deletingLastPathComponent()
        let signed = [image.lastPathComponent] + ChecksumDiscovery.candidateNames(forImageNamed: image.lastPathComponent)
        var pairs: [(URL, URL)] = []
        for name in signed {
            let target = dir.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: target.path) else { continue }
            for suffix in suffixes {
                let sig = dir.appendingPathComponent("\(name).\(suffix)")
                if FileManager.default.fileExists(atPath: sig.path) { pairs.append((sig, target)) }
            }
        }
        return pairs
    }

    /// Runs `gpgv --keyring KEYRING SIG FILE`. Without a keyring, the status is `.notChecked`.
    public static func verify(signature: URL, signed: URL, keyring: URL?) throws -> DetachedSignature {
        guard let keyring else {
            return DetachedSignature(signatureFile: signature.lastPathComponent, signedFile: signed.lastPathComponent,
                                     status: .notChecked, detail: "pass --keyring FILE to check it")
        }
        let (result, detail) = try Gpgv.run([signature.path, signed.path], keyring: keyring)
        return DetachedSignature(signatureFile: signature.lastPathComponent, signedFile: signed.lastPathComponent,
                                 status: result.succeeded ? .good : .bad, detail: detail)
    }

    /// The refusal for a bad signature (exit status `.mismatch`).
    public var problem: EdgeError? {
        guard status == .bad else { return nil }
        return EdgeError(.mismatch, "signature \(signatureFile) does not verify \(signedFile): \(detail)",
                         hint: "the image or its checksum file may have been tampered with; download it again from the vendor")
    }
}
