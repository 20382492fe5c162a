import ArgumentParser
import EdgeCore
import Foundation
import ISOVerify

/// `edgeflash inspect IMAGE [--deep] [--keyring FILE] [--json]`
///
/// Text output (stdout): one line per check, `[ ok ]`, `[FAIL]`, `[warn]`, `[info]` or `[ -- ]`
/// (present but not checked), then the verdict and its reasons.
///
/// `--json` prints one object (schema version 1, documented in docs/inspect-json.md):
/// `schemaVersion`, `image`, `fileSize`, `checks` [{id, status, detail}], `verdict` {usbBIOS,
/// usbUEFI, opticalBIOS, opticalUEFI, reasons}, `verdictSummary`, `implantedMD5`, `checksum`,
/// `signatures`, and `structure` (every parsed field: descriptors, boot catalog, MBR, GPT, APM).
///
/// Exit status: 0 when no check failed (whatever the verdict), else the first failure's status
/// (4 mismatch: checksum, implanted MD5 or signature; 6 invalid input: truncated or malformed).
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Tell whether an ISO is whole and will boot from a stick on BIOS and UEFI.",
        discussion: """
            Reads the ISO 9660 descriptors, the El Torito boot catalog and the system area (MBR, \
            GPT, Apple partition map), then says whether a stick written with the image boots on \
            BIOS, on UEFI, or not at all (an optical-only ISO). Without --deep it reads only those \
            structures (milliseconds, even for a 4 GiB image); --deep also reads the whole image to \
            check the implanted MD5 (as checkisomd5 does), the checksum file beside the image and \
            signatures over the image.

            Signatures (IMAGE.sig, IMAGE.asc, IMAGE.sha256.sig, SHA256SUMS.gpg...) are checked with \
            gpgv against --keyring. No signature is reported as "unsigned", never as a pass.

            Examples:
              edgeflash inspect palette-edge-installer.iso
              edgeflash inspect --deep --keyring vendor.gpg palette-edge-installer.iso
              edgeflash inspect --json installer.iso | jq .verdict
            """
    )

    @Argument(help: "The ISO image to inspect.", completion: .file(extensions: ["iso", "img"]))
    var image: String

    @Flag(help: "Also read the whole image: implanted MD5, checksum file, signature over the image.")
    var deep = false

    @Option(help: "OpenPGP keyring (gpgv format: a .gpg export) to check detached signatures with.",
            completion: .file())
    var keyring: String?

    @Flag(help: "Print one JSON object (schema: docs/inspect-json.md) instead of text.")
    var json = false

    func run() async throws {
        let url = URL(fileURLWithPath: image)
        let options = Inspector.Options(deep: deep, keyring: keyring.map { URL(fileURLWithPath: $0) })
        let showProgress = Terminal.stderrIsTTY && !json
        do {
            let inspection = try Inspector.inspect(image: url, options: options) { what, done, total in
                guard showProgress, total > 0 else { return }
                Terminal.writeStderr(cursor: "\r", "\(what): \(done * 100 / total)%")
                if done >= total { Terminal.writeStderr(cursor: "\r\u{1B}[K", "") }
            }
            if json {
                JSONLines.emit(inspection)
            } else {
                print(Self.render(inspection), terminator: "")
            }
            if let failure = inspection.failure {
                if !json { Terminal.printError(failure) }
                throw ExitCode(failure.exitStatus.rawValue)
            }
        } catch let error as EdgeError {
            if json { JSONLines.emit(["error": error.message]) }
            Terminal.printError(error)
            throw ExitCode(error.exitStatus.rawValue)
        }
    }

    static func render(_ i: Inspection) -> String {
        var out = "\(i.image) (\(i.fileSize) bytes)\n"
        if let c = i.compression {
            out += "compressed: \(c.format.rawValue), " + (c.decodedBytes.map { "\($0) bytes decompressed" } ?? c.damage.map { _ in "decompressed length not stated: the file is truncated or damaged (the compression check says where)" } ?? "decompressed length not stated") + "\n"
        }
        for check in i.checks {
            let tag: String
            switch check.status {
            case .pass: tag = "[ ok ]"
            case .fail: tag = "[FAIL]"
            case .warn: tag = "[warn]"
            case .info: tag = "[info]"
            case .notChecked: tag = "[ -- ]"
            }
            out += "\(tag) \(check.id.padding(toLength: 13, withPad: " ", startingAt: 0)) \(check.detail)\n"
        }
        out += "Verdict: \(i.verdictSummary)\n"
        for reason in i.verdict.reasons { out += "  - \(reason)\n" }
        return out
    }
}
