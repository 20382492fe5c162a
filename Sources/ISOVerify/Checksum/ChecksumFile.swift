import EdgeCore

/// Parser for checksum lists as `sha256sum`/`sha512sum` (GNU) and `shasum --tag`/BSD `sha256` write
/// them. Several entries per file; every non-blank, non-comment line must parse.
public enum ChecksumFile {
    public struct Entry: Sendable, Equatable, Codable {
        public var algorithm: HashAlgorithm
        public var hex: String       // lowercase
        public var name: String?     // nil for a bare digest
        public var line: Int
    }

    /// Parses `text`; `fileName` only names the file in errors. Throws `EdgeError` with the
    /// line number on the first malformed line, and when the file holds no entry at all.
    public static func parse(_ text: String, fileName: String) throws -> [Entry] {
        var entries: [Entry] = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false,
                                                            whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = Substring(rawLine)
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let number = index + 1
            let entry = try parseBSD(trimmed, fileName: fileName, line: number)
                ?? parseGNU(trimmed, fileName: fileName, line: number)
            entries.append(entry)
        }
        if entries.isEmpty {
            throw EdgeError(.malformed, "\(fileName) holds no checksum",
                            hint: "expected lines such as '<hex>  image.iso' or 'SHA256 (image.iso) = <hex>'")
        }
        return entries
    }

    /// The entry for `imageName`: same name, or same last path component (`./x.iso`, `build/x.iso`).
    /// In a file dedicated to one image, a bare digest or a lone entry under another name counts too.
    /// Lines for that name that disagree (two digests of one algorithm: a list edited by hand,
    /// `arm64/x.iso` beside `amd64/x.iso`) name no image: `file` is refused rather than one of them
    /// picked by its place in the list.
    public static func entry(for imageName: String, in entries: [Entry], dedicatedFile: Bool, file: String) throws -> Entry? {
        let named = entries.filter { $0.name.map(baseName) == imageName }
        if let first = named.first {
            let digests = Dictionary(grouping: named, by: \.algorithm).mapValues { Set($0.map(\.hex)) }
            guard digests.values.allSatisfy({ $0.count == 1 }) else {
                throw EdgeError(.malformed, "\(file) has lines for \(imageName) that disagree: \(named.map { "\($0.name ?? imageName) \($0.hex.prefix(12))…" }.joined(separator: ", "))",
                                hint: "Keep the one line for this image, or pass its digest with --sha256/--sha512.")
            }
            return first
        }
        if dedicatedFile, entries.count == 1 { return entries[0] }
        return nil
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
    }

    /// `SHA256 (name) = hex`; nil when the line does not start like a BSD line.
    private static func parseBSD(_ line: Substring, fileName: String, line number: Int) throws -> Entry? {
        guard let open = line.firstIndex(of: " "), line[line.index(after: open)...].hasPrefix("(") else { return nil }
        let tag = line[..<open].uppercased()
        let algorithm: HashAlgorithm
        switch tag {
        case "SHA256", "SHA2-256": algorithm = .sha256
        case "SHA512", "SHA2-512": algorithm = .sha512
        default:
            if tag.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }), !isHex(Substring(tag)) {
                throw malformed(fileName, number, "unsupported algorithm \(tag) (only SHA256 and SHA512)")
            }
            return nil
        }
        let rest = line[line.index(open, offsetBy: 2)...]
        guard let close = rest.range(of: ") = ", options: .backwards) else {
            throw malformed(fileName, number, "expected '\(tag) (name) = <hex>'")
        }
        let name = String(rest[..<close.lowerBound])
        let hex = rest[close.upperBound...].trimmingTrailingSpaces()
        try checkDigest(hex, algorithm: algorithm, fileName: fileName, line: number)
        guard !name.isEmpty else { throw malformed(fileName, number, "empty file name") }
        return Entry(algorithm: algorithm, hex: hex.lowercased(), name: name, line: number)
    }

    /// `hex  name` (text mode), `hex *name` (binary mode), a GNU-escaped `\hex  name`, or a bare `hex`.
    private static func parseGNU(_ line: Substring, fileName: String, line number: Int) throws -> Entry {
        var line = line
        let escaped = line.hasPrefix("\\")
        if escaped { line = line.dropFirst() }
        let hex = line.prefix { !$0.isWhitespace }
        guard isHex(hex) else {
            throw malformed(fileName, number, "expected '<hex>  name' or 'SHA256 (name) = <hex>'")
        }
        let algorithm: HashAlgorithm
        switch hex.count {
        case HashAlgorithm.sha256.hexLength: algorithm = .sha256
        case HashAlgorithm.sha512.hexLength: algorithm = .sha512
        default:
            throw malformed(fileName, number, "digest has \(hex.count) hex digits; SHA-256 has 64, SHA-512 has 128")
        }
        var rest = line[hex.endIndex...]
        if rest.trimmingTrailingSpaces().isEmpty {
            return Entry(algorithm: algorithm, hex: hex.lowercased(), name: nil, line: number)
        }
        // One space then ' ' or '*' (the mode), then the name as written, spaces included.
        guard rest.hasPrefix(" "), rest.count >= 3 else {
            throw malformed(fileName, number, "expected two spaces or ' *' between digest and name")
        }
        rest = rest.dropFirst()
        guard let mode = rest.first, mode == " " || mode == "*" else {
            throw malformed(fileName, number, "expected two spaces or ' *' between digest and name")
        }
        var name = String(rest.dropFirst())
        if escaped { name = unescape(name) }
        guard !name.isEmpty else { throw malformed(fileName, number, "empty file name") }
        return Entry(algorithm: algorithm, hex: hex.lowercased(), name: name, line: number)
    }

    private static func checkDigest(_ hex: String, algorithm: HashAlgorithm, fileName: String, line: Int) throws {
        guard isHex(Substring(hex)) else { throw malformed(fileName, line, "digest is not hexadecimal") }
        guard hex.count == algorithm.hexLength else {
            throw malformed(fileName, line, "\(algorithm.bsdTag) digest has \(hex.count) hex digits, expected \(algorithm.hexLength)")
        }
    }

    /// GNU coreutils escapes `\` and newline in names when the line starts with `\`.
    private static func unescape(_ name: String) -> String {
        var out = "", iterator = name.makeIterator()
        while let c = iterator.next() {
            guard c == "\\" else { out.append(c); continue }
            switch iterator.next() {
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "\\": out.append("\\")
            case let other?: out.append("\\"); out.append(other)
            case nil: out.append("\\")
            }
        }
        return out
    }

    private static func isHex(_ s: Substring) -> Bool {
        !s.isEmpty && s.allSatisfy { $0.isASCII && $0.isHexDigit }
    }

    private static func malformed(_ file: String, _ line: Int, _ what: String) -> EdgeError {
        EdgeError(.malformed, "\(file) line \(line) is malformed: \(what)",
                  hint: "fix or remove \(file), or pass the digest with --sha256/--sha512")
    }
}

extension Substring {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
