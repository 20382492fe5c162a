import Foundation
import Testing
import TestSupport
@testable import ISOVerify

/// Detached signatures checked with the real gpgv against a key made in the test. Every gpg call
/// is followed by killing the agent it started, so no daemon outlives the test.
@Suite struct SignatureTests {
    /// A directory with a small image, its SHA256SUMS, a keyring with the signing key, and a
    /// second keyring with an unrelated key.
    private func signedDirectory() throws -> (dir: URL, image: URL, keyring: URL, otherKeyring: URL, gnupg: String) {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-gpg")
        let image = dir.appendingPathComponent("small.iso")
        try FileManager.default.copyItem(at: RealISOs.ipxe, to: image)
        let home = dir.appendingPathComponent("gnupg").path, other = dir.appendingPathComponent("gnupg-other").path
        try Shell.bash("""
            cd '\(dir.path)'
            mkdir -m 700 '\(home)' '\(other)'
            gpg --homedir '\(home)' --batch --passphrase '' --quick-gen-key 'Vendor <vendor@example.com>' ed25519 sign never 2>/dev/null
            gpg --homedir '\(other)' --batch --passphrase '' --quick-gen-key 'Other <other@example.com>' ed25519 sign never 2>/dev/null
            gpg --homedir '\(home)' --export > vendor.gpg
            gpg --homedir '\(other)' --export > other.gpg
            sha256sum small.iso > SHA256SUMS
            gpgconf --homedir '\(home)' --kill gpg-agent; gpgconf --homedir '\(other)' --kill gpg-agent
            """)
        return (dir, image, dir.appendingPathComponent("vendor.gpg"), dir.appendingPathComponent("other.gpg"), home)
    }

    private func sign(_ file: URL, as sig: String, home: String, armor: Bool = false) throws {
        try Shell.bash("gpg --homedir '\(home)' --batch --yes \(armor ? "--armor" : "") --detach-sign -o '\(file.deletingLastPathComponent().appendingPathComponent(sig).path)' '\(file.path)' 2>/dev/null; gpgconf --homedir '\(home)' --kill gpg-agent")
    }

    @Test func goodSignaturesOverTheImageAndItsChecksumFile() throws {
        let t = try signedDirectory()
        try sign(t.image, as: "small.iso.sig", home: t.gnupg)
        try sign(t.dir.appendingPathComponent("SHA256SUMS"), as: "SHA256SUMS.asc", home: t.gnupg, armor: true)
        let inspection = try Inspector.inspect(image: t.image, options: .init(deep: true, keyring: t.keyring))
        #expect(inspection.signatures.map(\.status) == [.good, .good])
        #expect(inspection.signatures.map(\.signatureFile) == ["small.iso.sig", "SHA256SUMS.asc"])
        #expect(inspection.signatures.first?.detail.contains("Vendor") == true)
        #expect(inspection.checksum?.matches == true)
        #expect(inspection.failure == nil)
    }

    @Test func aTamperedImageIsABadSignatureAndRefused() throws {
        let t = try signedDirectory()
        try sign(t.image, as: "small.iso.sig", home: t.gnupg)
        try Shell.bash("printf 'X' | dd of='\(t.image.path)' bs=1 seek=4000 conv=notrunc status=none")
        let inspection = try Inspector.inspect(image: t.image, options: .init(keyring: t.keyring))
        #expect(inspection.signatures.first?.status == .bad)
        #expect(inspection.failure?.exitStatus == .mismatch)
    }

    @Test func aSignatureByAnUnknownKeyIsBad() throws {
        let t = try signedDirectory()
        try sign(t.image, as: "small.iso.sig", home: t.gnupg)
        let sig = try DetachedSignature.verify(signature: t.dir.appendingPathComponent("small.iso.sig"), signed: t.image, keyring: t.otherKeyring)
        #expect(sig.status == .bad)
        #expect(sig.problem != nil)
    }

    @Test func noSignatureIsUnsignedNeverAPass() throws {
        let t = try signedDirectory()
        let inspection = try Inspector.inspect(image: t.image, options: .init(keyring: t.keyring))
        let check = try #require(inspection.checks.first { $0.id == "signature" })
        #expect(check.status == .warn && check.detail.hasPrefix("unsigned"))
        #expect(inspection.signatures.isEmpty)
    }

    @Test func aSignatureWithoutKeyringIsNotChecked() throws {
        let t = try signedDirectory()
        try sign(t.image, as: "small.iso.sig", home: t.gnupg)
        let inspection = try Inspector.inspect(image: t.image)
        #expect(inspection.signatures.first?.status == .notChecked)
        #expect(inspection.checks.first { $0.id == "signature" }?.status == .notChecked)
    }
}
