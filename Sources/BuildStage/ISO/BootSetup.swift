/// The boot setup of an ISO as xorriso reports it, reduced to what must not change when files are
/// added: El Torito entries (platform, emulation, load size, image path, options), the system area
/// kind, MBR partition status and types, GPT partition types and the files they point at. LBAs and
/// sizes are dropped: adding files moves them.
public struct BootSetup: Sendable, Equatable {
    public var lines: [String]

    /// `report` is the output of `-report_el_torito plain -report_system_area plain`.
    /// `ignoringHFSPlus` drops the APM/HFS+ Mac hybrid, for the grub-mkrescue fallback.
    public init(xorriso report: String, ignoringHFSPlus: Bool = false) {
        var lines: [String] = []
        var gpt: [String: (name: String, type: String, path: String)] = [:]
        for raw in report.split(separator: "\n") {
            guard let colon = raw.firstIndex(of: ":") else { continue }
            let label = raw[..<colon].trimmingCharacters(in: .whitespaces)
            let fields = raw[raw.index(after: colon)...].split(separator: " ").map(String.init)
            switch label {
            case "El Torito boot img":
                lines.append("eltorito " + fields.dropLast().joined(separator: " "))
            case "El Torito img path", "El Torito img opts", "El Torito cat path":
                lines.append(label + " " + fields.joined(separator: " "))
            case "System area summary":
                let kinds = ignoringHFSPlus ? fields.filter { $0 != "APM" } : fields
                lines.append("system area " + kinds.joined(separator: " "))
            case "MBR partition" where fields.count >= 3:
                lines.append("mbr \(fields[0]) status=\(fields[1]) type=\(fields[2])")
            case "GPT partname local" where fields.count >= 2:
                gpt[fields[0], default: ("", "", "")].name = fields[1...].joined(separator: " ")
            case "GPT type GUID" where fields.count >= 2:
                gpt[fields[0], default: ("", "", "")].type = fields[1]
            case "GPT partition path" where fields.count >= 2:
                gpt[fields[0], default: ("", "", "")].path = fields[1...].joined(separator: " ")
            default:
                continue
            }
        }
        // Gap partitions only fill the space between the others; they follow the layout.
        let kept = gpt.values.filter { !$0.name.hasPrefix("Gap") && !(ignoringHFSPlus && $0.name == "HFSPLUS") }
        for entry in kept.sorted(by: { ($0.type, $0.path) < ($1.type, $1.path) }) {
            lines.append("gpt type=\(entry.type) name=\(entry.name) path=\(entry.path)")
        }
        self.lines = lines
    }

    /// Lines present in one and not the other, for the error message.
    public func differences(to other: BootSetup) -> [String] {
        lines.filter { !other.lines.contains($0) }.map { "- " + $0 } + other.lines.filter { !lines.contains($0) }.map { "+ " + $0 }
    }
}
