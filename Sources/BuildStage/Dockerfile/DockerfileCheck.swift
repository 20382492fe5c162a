import Crypto
import Foundation

/// What `build plan` finds in the checkout's Dockerfile before a build would: a package install
/// that would stop at a prompt (an error: the build fails there, minutes in), and instructions above
/// CanvOS's "Add any other image customizations here" line that CanvOS did not put there (a
/// warning: CanvOS's guide says to customize below it). Pure.
public enum DockerfileCheck {
    public static let customizationMarker = "Add any other image customizations here"

    public static func issues(_ text: String, file: String) -> [BuildIssue] {
        let (instructions, comments) = DockerfileInstruction.parse(text)
        var issues: [BuildIssue] = []
        for instruction in instructions where instruction.keyword == "RUN" {
            for prompt in PromptingInstall.find(in: instruction) {
                issues.append(BuildIssue(.error, file: file, line: prompt.line,
                    "\(prompt.command) without \(prompt.answer) stops at its confirmation prompt, which fails the build",
                    allowed: "\(prompt.command) \(prompt.answer) ..."))
            }
        }
        guard let marker = comments.first(where: { $0.text.contains(customizationMarker) }) else {
            issues.append(BuildIssue(.warning, file: file,
                "has no \"\(customizationMarker)\" line, so edgeflash cannot tell CanvOS's part from yours; is this a CanvOS checkout's Dockerfile?"))
            return issues
        }
        for instruction in instructions where instruction.line < marker.line && !isCanvOS(instruction) {
            issues.append(BuildIssue(.warning, file: file, line: instruction.line,
                "\(instruction.keyword) above the \"\(customizationMarker)\" line (line \(marker.line)) is not CanvOS's; CanvOS's guide says to make changes below that line, where updates to CanvOS do not collide with them"))
        }
        return issues
    }

    /// Fingerprints (the first 16 hex digits of SHA-256 of `normalized`) of every instruction CanvOS
    /// has had above the customization line, in every version of its Dockerfile since 2023.
    static let canvosInstructions: Set<String> = [
        "9c4776f7c25af59c", "f821973bde2f4aac", "c5b857abc87ecb50", "043d69233ed3de7b", "2666509cafa63fe8",
        "6129541cc66c4765", "95a1f192db761bf1", "b6a1e0c0a6affd7d", "89bbd414a594c008", "f7867504aa822cd8",
        "8c3b7b5a81292691", "ef5030f0fe0f21ed", "b057d21565100ac7", "1b966b70952f8655", "4acd8586cc3bf1dd",
        "52035d86cb4a2281", "e9ded68e4972f38b", "a01a15c6731beca4", "28e967dc397f997d", "e32ecf3bfa3c417a",
        "a58069d09a26887f", "92ae2492d939d304", "bee3a0b2d817860d", "f5a09654bc71264d", "7c4d88c2c848493b",
        "e530f4a9bafe19ce", "05284dddcca2a20b", "dfdd38037eee4ed7", "2924bf9f7843d6b5", "ae444a9aac9ac838",
    ]

    static func isCanvOS(_ instruction: DockerfileInstruction) -> Bool {
        let digest = SHA256.hash(data: Data(instruction.normalized.utf8))
        return canvosInstructions.contains(digest.prefix(8).map { String(format: "%02x", $0) }.joined())
    }
}
