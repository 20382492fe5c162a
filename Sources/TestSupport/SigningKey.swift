import Foundation

/// A throwaway OpenPGP signing key in its own GNUPGHOME under a test's directory, its public key
/// exported as a keyring for gpgv: a vendor's key, for tests that check signatures with the real
/// gpg tools. Every gpg call is followed by stopping the agent it started, so no daemon outlives
/// the test.
public struct SigningKey: Sendable {
    /// The GNUPGHOME holding the secret key.
    public let home: String
    /// `NAME.gpg` beside it: the public key, for `gpgv --keyring` (edgeflash's `--keyring`).
    public let keyring: URL

    /// Makes the key of `Name <name@example.com>` in `directory`.
    public init(in directory: URL, name: String = "Vendor") throws {
        let lower = name.lowercased()
        home = directory.appendingPathComponent("gnupg-\(lower)").path
        keyring = directory.appendingPathComponent("\(lower).gpg")
        try Shell.bash("mkdir -m 700 '\(home)'")
        try gpg("--passphrase '' --quick-gen-key '\(name) <\(lower)@example.com>' ed25519 sign never")
        try gpg("--export > '\(keyring.path)'")
    }

    /// A detached signature over `file`, written to `signature` (ASCII-armored when `armor`).
    public func detachSign(_ file: String, to signature: String, armor: Bool = false) throws {
        try gpg("--yes \(armor ? "--armor" : "") --detach-sign -o '\(signature)' '\(file)'")
    }

    /// `file` as a clearsigned message (`gpg --clearsign`), written to `signed`.
    public func clearsign(_ file: String, to signed: String) throws {
        try gpg("--yes --clearsign -o '\(signed)' '\(file)'")
    }

    /// `gpg --homedir HOME --batch ARGUMENTS` (a shell word list), then the agent stopped.
    private func gpg(_ arguments: String) throws {
        try Shell.bash("gpg --homedir '\(home)' --batch \(arguments) 2>/dev/null && status=0 || status=$?; gpgconf --homedir '\(home)' --kill gpg-agent; exit $status")
    }
}
