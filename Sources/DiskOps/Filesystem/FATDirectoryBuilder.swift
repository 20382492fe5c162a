import Foundation
import ISOVerify

/// FAT directory entries: the volume label, and for each file its long-name (VFAT LFN) entries
/// followed by an 8.3 alias (`USER-D~1`), so `user-data` keeps its exact lower-case name.
struct DirectoryBuilder {
    private(set) var bytes: [UInt8] = []
    private var aliases: Set<[UInt8]> = []
    private let date: UInt16
    private let time: UInt16

    init(date: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        self.date = UInt16(max(0, (c.year ?? 1980) - 1980) << 9 | (c.month ?? 1) << 5 | (c.day ?? 1))
        time = UInt16((c.hour ?? 0) << 11 | (c.minute ?? 0) << 5 | (c.second ?? 0) / 2)
    }

    /// The 11-byte label field: upper case, space padded (FAT labels are upper case by convention).
    static func shortLabel(_ label: String) -> [UInt8] {
        let upper = Array(label.uppercased().utf8.prefix(11))
        return upper + [UInt8](repeating: 0x20, count: 11 - upper.count)
    }

    mutating func addLabel(_ label: String) {
        bytes += entry(name: Self.shortLabel(label), attributes: 0x08, cluster: 0, size: 0)
    }

    mutating func addFile(name: String, firstCluster: UInt32, size: UInt32) {
        let alias = makeAlias(name)
        let checksum = alias.reduce(UInt8(0)) { (($0 & 1) << 7) &+ ($0 >> 1) &+ $1 }
        // UTF-16 name, NUL-terminated then 0xFFFF-padded to a multiple of 13 characters.
        var units = Array(name.utf16)
        if units.count % 13 != 0 { units.append(0) }
        while units.count % 13 != 0 { units.append(0xFFFF) }
        let parts = units.count / 13
        for part in stride(from: parts, through: 1, by: -1) {   // stored last part first
            var e = [UInt8](repeating: 0, count: 32)
            e[0] = UInt8(part) | (part == parts ? 0x40 : 0)
            e[11] = 0x0F
            e[13] = checksum
            let chunk = units[((part - 1) * 13)..<(part * 13)]
            for (i, unit) in chunk.enumerated() {
                let at = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30][i]
                e.setLE16(at, unit)
            }
            bytes += e
        }
        bytes += entry(name: alias, attributes: 0x20, cluster: firstCluster, size: size)
    }

    private func entry(name: [UInt8], attributes: UInt8, cluster: UInt32, size: UInt32) -> [UInt8] {
        var e = [UInt8](repeating: 0, count: 32)
        e.setBytes(0, name)
        e[11] = attributes
        e.setLE16(14, time)            // created
        e.setLE16(16, date)
        e.setLE16(18, date)            // accessed
        e.setLE16(20, UInt16(cluster >> 16))
        e.setLE16(22, time)            // modified
        e.setLE16(24, date)
        e.setLE16(26, UInt16(cluster & 0xFFFF))
        e.setLE32(28, size)
        return e
    }

    /// An 8.3 alias in the Windows style: up to six valid characters, `~N`, up to three of extension.
    private mutating func makeAlias(_ name: String) -> [UInt8] {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$%'-_@~`!(){}^#&".utf8)
        let upper = name.uppercased()
        let dot = upper.lastIndex(of: ".")
        let base = Array((dot.map { String(upper[..<$0]) } ?? upper).utf8.filter { allowed.contains($0) })
        let ext = Array((dot.map { String(upper[upper.index(after: $0)...]) } ?? "").utf8.filter { allowed.contains($0) }.prefix(3))
        let extField = ext + [UInt8](repeating: 0x20, count: 3 - ext.count)
        for n in 1...999_999 {
            let tail = Array("~\(n)".utf8)
            let head = Array(base.prefix(8 - tail.count))
            let field = head + tail + [UInt8](repeating: 0x20, count: 8 - head.count - tail.count)
            let alias = field + extField
            if !aliases.contains(alias) {
                aliases.insert(alias)
                return alias
            }
        }
        return Array("NONAME     ".utf8)
    }
}
