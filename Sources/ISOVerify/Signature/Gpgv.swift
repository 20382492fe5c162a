import EdgeCore
import Foundation

/// gpgv, which checks every OpenPGP signature edgeflash meets (detached ones beside an image, its
/// checksum file or a bmap; a clearsigned bmap): the one place that runs it and words its answer.
public enum Gpgv {
    /// A keyring given with --keyring must exist: gpgv would only say it has no public key. Called
    /// up front by the commands that take one, and before every run.
    public static func requireKeyring(_ keyring: URL) throws {
        guard FileManager.default.fileExists(atPath: keyring.path) else {
            throw EdgeError(.usage, "--keyring \(keyring.path): no such file",
                            hint: "Give the signer's public key as gpgv reads it (gpg --export KEYID > signer.gpg).")
        }
    }


    /// Runs `gpgv [--keyring KEYRING] ARGUMENTS`; without a keyring gpgv uses its own
    /// (~/.gnupg/trustedkeys.kbx). `result.stdout` holds what gpgv wrote there (the signed text,
    /// with `--output -`); `detail` its lines about the signature and the key, in one line.
    static func run(_ arguments: [String], keyring: URL?, captureLimit: Int = 1 << 20) throws -> (result: ChildProcess.Result, detail: String) {
        var arguments = arguments
        if let keyring { try requireKeyring(keyring) }
        // An absolute keyring path: gpgv otherwise looks it up in ~/.gnupg.
        if let keyring { arguments = ["--keyring", keyring.standardizedFileURL.path] + arguments }
        let result = try ChildProcess.run("gpgv", arguments, captureLimit: captureLimit)
        let lines = result.stderr.split(separator: "\n").map { $0.replacingOccurrences(of: "gpgv: ", with: "").trimmingCharacters(in: .whitespaces) }
        let gist = lines.filter { line in ["signature", "Can't check", "OpenPGP", "public key", "using"].contains { line.contains($0) } }
        return (result, (gist.isEmpty ? lines : gist).joined(separator: "; "))
    }
}
