import EdgeCore
import Foundation

/// The hash functions checksum files use for installer images, and MD5 for an implanted MD5
/// (checkisomd5's convention; never read from a checksum file).
public enum HashAlgorithm: String, Sendable, Codable, CaseIterable {
    case sha256, sha512, md5

    /// Length of the digest in lowercase hex.
    public var hexLength: Int {
        switch self {
        case .sha256: 64
        case .sha512: 128
        case .md5: 32
        }
    }

    /// The tag BSD-style lines use (`SHA256 (name) = hex`).
    public var bsdTag: String { rawValue.uppercased() }
}

/// A checksum the image is expected to have, and where it came from.
public struct ExpectedChecksum: Sendable, Codable, Equatable {
    public var algorithm: HashAlgorithm
    public var hex: String            // lowercase
    public var source: String         // "palette-edge-installer.iso.sha256", "--sha256", "implanted MD5"
    /// For an implanted MD5: how many bytes from the image's start it covers (the volume minus
    /// SKIPSECTORS, the application-use area read as spaces). nil for every other checksum.
    public var implantedMD5Length: Int64?
    /// What the digest is taken over; only a compressed image makes it other than `.image`.
    public var coverage: Coverage = .image
    /// The file name the checksum file's line gives (`installer.iso.xz`, `installer.iso`); nil for
    /// a bare digest, a digest given on the command line, an implanted MD5.
    public var lineName: String?
    /// A checksum over a compressed file as stored, from a list that has a line for the image it
    /// decompresses to as well (`installer.iso.xz` and `installer.iso` in one SHA256SUMS): that
    /// line, checked over the decoded bytes. Both lines must match.
    public var decodedImageLine: ChecksumFile.Entry?

    /// For a compressed image, the bytes a digest describes: the image once decompressed, the file
    /// as stored (a checksum published beside `installer.iso.xz`), or either (a digest given on the
    /// command line: both are computed and the one it matches is said).
    public enum Coverage: String, Sendable, Codable {
        case image, storedFile, either
    }

    public init(algorithm: HashAlgorithm, hex: String, source: String, implantedMD5Length: Int64? = nil) {
        self.algorithm = algorithm
        self.hex = hex.lowercased()
        self.source = source
        self.implantedMD5Length = implantedMD5Length
    }

    /// Line `entry` of checksum file `source`, over the bytes `coverage` says. One over a
    /// compressed file as stored brings the line its file (`entries`) has for the image it
    /// decompresses to (`decodedName`), if any: both are checked.
    static func line(_ entry: ChecksumFile.Entry, source: String, coverage: Coverage, decodedName: String?, entries: [ChecksumFile.Entry]) throws -> ExpectedChecksum {
        var expected = ExpectedChecksum(entry, source: source, coverage: coverage)
        if coverage == .storedFile, let decodedName {
            expected.decodedImageLine = try ChecksumFile.entry(for: decodedName, in: entries, dedicatedFile: false, file: source)
        }
        return expected
    }

    /// Line `entry` of checksum file `source`, alone.
    init(_ entry: ChecksumFile.Entry, source: String, coverage: Coverage) {
        self.init(algorithm: entry.algorithm, hex: entry.hex, source: source)
        self.coverage = coverage
        lineName = entry.name.map(ChecksumFile.baseName)
    }

    /// The checksum over the image's own bytes (a compressed one's decoded bytes): this one, unless
    /// it is over the stored file only; then the decoded image's line beside it, if there is one.
    public var overImage: ExpectedChecksum? {
        guard coverage == .storedFile else { return self }
        return decodedImageLine.map { ExpectedChecksum($0, source: source, coverage: .image) }
    }

    /// "SHA256 matches SHA256SUMS", "implanted MD5 matches": what a pass says.
    public var matchDescription: String {
        guard implantedMD5Length == nil else { return "\(source) matches" }
        return "\(digestDescription) \(decodedImageLine == nil ? "matches" : "match") \(source)"
    }

    /// "SHA256 from SHA256SUMS", "implanted MD5": what will be checked, before a pass.
    public var pendingDescription: String {
        implantedMD5Length == nil ? "\(digestDescription) from \(source)" : source
    }

    /// "SHA256", "SHA256 of the compressed file", "SHA256 of the compressed file and of the decoded
    /// image": the digests and the bytes they are over.
    private var digestDescription: String {
        let over = coverage == .storedFile ? " of the compressed file" : (coverage == .image ? "" : " of the image or the compressed file")
        let decoded = decodedImageLine.map { " and \($0.algorithm == algorithm ? "" : $0.algorithm.rawValue.uppercased() + " ")of the decoded image" }
        return algorithm.rawValue.uppercased() + over + (decoded ?? "")
    }
}

public enum ChecksumDiscovery {
    /// The file names looked for beside `IMAGE`, in order of preference; for a compressed image,
    /// those named for the image it decompresses to (`decodedName`) too.
    public static func candidateNames(forImageNamed name: String, decodedName: String? = nil) -> [String] {
        ([name] + (decodedName.map { [$0] } ?? [])).flatMap { ["\($0).sha256", "\($0).sha512"] } + ["SHA256SUMS", "SHA512SUMS"]
    }

    /// Looks beside the image for IMAGE.sha256, IMAGE.sha512, SHA256SUMS, SHA512SUMS and returns the
    /// entry for the image's file name; nil when none is found (the caller says "unverified").
    /// For a compressed image (`installer.iso.xz`, `decodedName` `installer.iso`), a checksum of
    /// the image it decompresses to counts too (`installer.iso.sha256`, or an entry for
    /// `installer.iso` in a list), over the decoded bytes; one named for the file is over its
    /// stored bytes, and brings the decoded image's line when its list has that too.
    ///
    /// A file named for the image (`IMAGE.sha256`) may hold a bare digest or a single entry under
    /// another name (a renamed download); a list (`SHA256SUMS`) must name the image. A checksum
    /// file that exists but cannot be parsed throws `EdgeError` (exit status `.invalidInput`)
    /// naming the file and line: a broken checksum file is never silently skipped.
    public static func find(forImage image: URL, decodedName: String? = nil) throws -> ExpectedChecksum? {
        let directory = image.deletingLastPathComponent()
        let imageName = image.lastPathComponent
        var names: [(name: String, coverage: ExpectedChecksum.Coverage)] = [(imageName, decodedName == nil ? .image : .storedFile)]
        if let decodedName { names.append((decodedName, .image)) }
        for candidate in candidateNames(forImageNamed: imageName, decodedName: decodedName) {
            let url = directory.appendingPathComponent(candidate)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let entries = try ChecksumFile.parse(try readChecksumFile(url), fileName: candidate)
            for (name, coverage) in names {
                if let match = try ChecksumFile.entry(for: name, in: entries, dedicatedFile: false, file: candidate) {
                    return try ExpectedChecksum.line(match, source: candidate, coverage: coverage, decodedName: decodedName, entries: entries)
                }
            }
            guard let dedicated = names.first(where: { candidate == "\($0.name).sha256" || candidate == "\($0.name).sha512" }) else { continue }
            if entries.count == 1 { return ExpectedChecksum(entries[0], source: candidate, coverage: dedicated.coverage) }
            throw EdgeError(.malformed, "\(candidate) lists \(entries.count) files but none named \(dedicated.name)",
                            hint: "pass the right digest with --sha256/--sha512 or the file with --checksum")
        }
        return nil
    }

    /// Reads a checksum file given explicitly (`--checksum FILE`) and returns the entry for `image`.
    /// Throws when the file has no entry for it.
    public static func load(checksumFile: URL, forImage image: URL) throws -> ExpectedChecksum {
        let name = checksumFile.lastPathComponent
        let entries = try ChecksumFile.parse(try readChecksumFile(checksumFile), fileName: name)
        let imageName = image.lastPathComponent
        let dedicated = !(name.hasPrefix("SHA256SUMS") || name.hasPrefix("SHA512SUMS"))
        guard let match = try ChecksumFile.entry(for: imageName, in: entries, dedicatedFile: dedicated, file: name) else {
            throw EdgeError(.malformed, "\(name) has no entry for \(imageName)",
                            hint: "check the file names, or pass the digest with --sha256/--sha512")
        }
        return ExpectedChecksum(algorithm: match.algorithm, hex: match.hex, source: name)
    }

    /// Checksum files are small; a huge one is not a checksum file (and is not read whole).
    static let maximumFileSize = 1 << 20

    static func readChecksumFile(_ url: URL) throws -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        if let size = attributes?[.size] as? Int, size > maximumFileSize {
            throw EdgeError(.malformed, "\(url.lastPathComponent) is \(size) bytes: too large for a checksum file")
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw EdgeError.cannotRead(url.path, "permission denied or not a regular file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EdgeError(.malformed, "\(url.lastPathComponent) is not text (not UTF-8)")
        }
        return text
    }
}
