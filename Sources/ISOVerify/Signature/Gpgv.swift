import EdgeCore
import Foundation

/// gpgv, which checks every OpenPGP signature edgeflash meets (detached ones beside an image, its
/// checksum file or a bmap; a clearsigned bmap): the one place that runs it and words its answer.
enum Gpgv {
    /// Runs `gpgv [--keyring KEYRING] ARGUMENTS`; without a keyring gpgv uses its own
    /// (~/.gnupg/trustedkeys.kbx). `result.stdout` holds what gpgv wrote there (the signed text,
    /// with `--output -`); `detail` its lines about the signature and the key, in one line.
    static func run(_ arguments: [String], keyring: URL?, captureLimit: Int = 1 << 20) throws -> (result: ChildProcess.Result, detail: String) {
        var arguments = arguments
        // An absolute keyring path: gpgv otherwise looks it up in ~/.gnupg.
        if let keyring { arguments = ["--keyring", keyring.standardizedFileURL.path] + arguments }
        let result = try ChildProcess.run("gpgv", arguments, captureLimit: captureLimit)
        let lines = result.stderr.split(separator: "\n").map { $0.replacingOccurrences(of: "gpgv: ", with: "").trimmingCharacters(in: .whitespaces) }
        let gist = lines.filter { line in ["signature", "Can't check", "OpenPGP", "public key", "using"].contains { line.contains($0) } }
        return (result, (gist.isEmpty ? lines : gist).joined(separator: "; "))
    }
}
