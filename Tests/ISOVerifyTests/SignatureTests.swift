import EdgeCore
import Foundation
import Testing
import TestSupport
@testable import ISOVerify

/// Detached signatures checked with the real gpgv against a key made in the test (`SigningKey`).
@Suite struct SignatureTests {
    /// A directory with a small image, its SHA256SUMS, the vendor's signing key and an unrelated one.
    private func signedDirectory() throws -> (dir: URL, image: URL, vendor: SigningKey, other: SigningKey) {
        let dir = try TemporaryDirectory.make(prefix: "edgeflash-gpg")
        let image = dir.appendingPathComponent("small.iso")
        try FileManager.default.copyItem(at: RealISOs.ipxe, to: image)
        let vendor = try SigningKey(in: dir), other = try SigningKey(in: dir, name: "Other")
        try Shell.bash("cd '\(dir.path)' && sha256sum small.iso > SHA256SUMS")
        return (dir, image, vendor, other)
    }

    private func sign(_ file: URL, as sig: String, key: SigningKey, armor: Bool = false) throws {
        try key.detachSign(file.path, to: file.deletingLastPathComponent().appendingPathComponent(sig).path, armor: armor)
    }

    @Test func goodSignaturesOverTheImageAndItsChecksumFile() throws {
        let t = try signedDirectory()
        try sign(t.image, as: "small.iso.sig", key: t.vendor)
        try sign(t.dir.appendingPathComponent("SHA256SUMS"), as: "SHA256SUMS.asc", key: t.vendor, armor: true)
        let inspection = try Inspector.inspect(image: t.image, options: .init(deep: true, keyring: t.vendor.keyring))
        #expect(inspection.signatures.map(\.status) == [.good, .good])
        #expect(inspection.signatures.map(\.signatureFile) == ["small.iso.sig", "SHA256SUMS.asc"])
        #expect(inspection.signatures.first?.detail.contains("Vendor") == true)
        #expect(inspection.checksum?.matches == true)
        #expect(inspection.failure == nil)
    }

    /// Was: a --keyring naming no file reached gpgv, whose "No public key" blamed the signature.
    /// Now it is said up front, whether or not a signature is there to check.
    @Test func aKeyringThatDoesNotExistIsSaidUpFront() throws {
        let t = try signedDirectory()
        let missing = t.dir.appendingPathComponent("typo.gpg")
        for signed in [false, true] {
            if signed { try sign(t.image, as: "small.iso.sig", key: t.vendor) }
            let error = #expect(throws: EdgeError.self) { try Inspector.inspect(image: t.image, options: .init(keyring: missing)) }
            #expect(error?.code == .usage, "\(error?.message ?? "")")
            #expect(error?.message == "--keyring \(missing.path): no such file")
        }
        let error = #expect(throws: EdgeError.self) { try Gpgv.run([], keyring: missing) }
        #expect(error?.code == .usage)
    }

    @Test func aTamperedImageIsABadSignatureAndRefused() throws {
        let t = try signedDirectory()
        try sign(t.image, as: "small.iso.sig", key: t.vendor)
        try Shell.bash("printf 'X' | dd of='\(t.image.path)' bs=1 seek=4000 conv=notrunc status=none")
        let inspection = try Inspector.inspect(image: t.image, options: .init(keyring: t.vendor.keyring))
        #expect(inspection.signatures.first?.status == .bad)
        #expect(inspection.failure?.exitStatus == .mismatch)
    }

    @Test func aSignatureByAnUnknownKeyIsBad() throws {
        let t = try signedDirectory()
        try sign(t.image, as: "small.iso.sig", key: t.vendor)
        let sig = try DetachedSignature.verify(signature: t.dir.appendingPathComponent("small.iso.sig"), signed: t.image, keyring: t.other.keyring)
        #expect(sig.status == .bad)
        #expect(sig.problem != nil)
    }

    @Test func noSignatureIsUnsignedNeverAPass() throws {
        let t = try signedDirectory()
        let inspection = try Inspector.inspect(image: t.image, options: .init(keyring: t.vendor.keyring))
        let check = try #require(inspection.checks.first { $0.id == "signature" })
        #expect(check.status == .warn && check.detail.hasPrefix("unsigned"))
        #expect(inspection.signatures.isEmpty)
    }

    @Test func aSignatureWithoutKeyringIsNotChecked() throws {
        let t = try signedDirectory()
        try sign(t.image, as: "small.iso.sig", key: t.vendor)
        let inspection = try Inspector.inspect(image: t.image)
        #expect(inspection.signatures.first?.status == .notChecked)
        #expect(inspection.checks.first { $0.id == "signature" }?.status == .notChecked)
    }
}
