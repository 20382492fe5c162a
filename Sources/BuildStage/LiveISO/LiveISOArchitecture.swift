import EdgeCore

/// What each architecture's live ISO boots with: amd64 BIOS (GRUB El Torito) and UEFI, arm64 UEFI
/// only, as AuroraBoot builds them.
public enum LiveISOArchitecture: String, Sendable, Codable, CaseIterable {
    case amd64, arm64

    public init(parsing text: String) throws {
        guard let architecture = LiveISOArchitecture(rawValue: text) else {
            throw EdgeError(.usage, "architecture \(text) is not supported (allowed: amd64, arm64)",
                            hint: "set ARCH in .arg or give --arch amd64|arm64")
        }
        self = architecture
    }

    /// GRUB's BIOS platform, nil when the ISO is UEFI-only.
    var biosPlatform: String? { self == .amd64 ? "i386-pc" : nil }
    var efiPlatform: String { self == .amd64 ? "x86_64-efi" : "arm64-efi" }
    var platforms: [String] { [biosPlatform, efiPlatform].compactMap { $0 } }
    /// The removable-media loader name UEFI firmware looks for.
    var efiLoaderName: String { self == .amd64 ? "BOOTX64.EFI" : "BOOTAA64.EFI" }
    /// The Debian package holding a platform's modules, for messages.
    static func package(of platform: String) -> String {
        switch platform {
        case "i386-pc": "grub-pc-bin"
        case "x86_64-efi": "grub-efi-amd64-bin"
        default: "grub-efi-arm64-bin"
        }
    }
}
