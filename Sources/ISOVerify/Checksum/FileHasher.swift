import Crypto
import EdgeCore
import FileIO
import Foundation

/// An incremental SHA-256/SHA-512 (swift-crypto: BoringSSL's assembly, SHA-NI where the CPU has
/// it), or an implanted MD5's (over the bytes it covers, the application-use area as spaces). The
/// writer feeds it the chunks it writes; `FileHasher` feeds it a file. Bytes come in order from
/// the image's first.
/// Unchecked Sendable: swift-crypto's digests are copy-on-write values like Array, just not marked.
public struct StreamingHash: @unchecked Sendable {
    public let algorithm: HashAlgorithm
    private var sha256 = SHA256()
    private var sha512 = SHA512()
    private var md5 = Insecure.MD5()
    /// Where an implanted MD5's coverage ends; nil for a plain hash of everything.
    private var implantedEnd: Int64?
    private var offset: Int64 = 0

    public init(_ algorithm: HashAlgorithm) { self.algorithm = algorithm }

    /// The hash that checks `expected`: an implanted MD5 with its coverage, else its algorithm.
    public init(for expected: ExpectedChecksum) {
        algorithm = expected.algorithm
        implantedEnd = expected.implantedMD5Length
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        defer { offset += Int64(bytes.count) }
        switch algorithm {
        case .sha256: sha256.update(bufferPointer: bytes)
        case .sha512: sha512.update(bufferPointer: bytes)
        case .md5:
            guard let end = implantedEnd else { return md5.update(bufferPointer: bytes) }
            let range = offset..<(offset + Int64(bytes.count))
            let covered = bytes.prefix(Int(max(0, min(range.upperBound, end) - offset)))
            let blank = ImplantedMD5.applicationUseOffset..<(ImplantedMD5.applicationUseOffset + Int64(ImplantedMD5.applicationUseLength))
            guard range.overlaps(blank) else { return md5.update(bufferPointer: UnsafeRawBufferPointer(rebasing: covered)) }
            var copy = [UInt8](covered)
            for i in max(blank.lowerBound, offset)..<min(blank.upperBound, offset + Int64(copy.count)) { copy[Int(i - offset)] = 0x20 }
            copy.withUnsafeBytes { md5.update(bufferPointer: $0) }
        }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest as lowercase hex (the form checksum files and `ExpectedChecksum.hex` use).
    public func finalizeHex() -> String {
        switch algorithm {
        case .sha256: return Hex.encode(sha256.finalize())
        case .sha512: return Hex.encode(sha512.finalize())
        case .md5: return Hex.encode(md5.finalize())
        }
    }
}

/// Hashes a whole file (or a leading part of it, such as a device's first image-size bytes)
/// in large page-aligned chunks.
public enum FileHasher {
    public static let chunkSize = OpenFile.chunkSize

    /// Hex digest of `file`'s first `length` bytes (the whole file when nil). `progress` gets the
    /// bytes hashed so far after every chunk.
    public static func hash(file: URL, algorithm: HashAlgorithm, length: Int64? = nil,
                            progress: ((Int64) -> Void)? = nil) throws -> String {
        try hash(file: file, with: StreamingHash(algorithm), length: length, progress: progress)
    }

    /// Hex digest of `file` as `expected` covers it (an implanted MD5 its part of the image).
    public static func hash(file: URL, for expected: ExpectedChecksum, progress: ((Int64) -> Void)? = nil) throws -> String {
        try hash(file: file, with: StreamingHash(for: expected), length: expected.implantedMD5Length, progress: progress)
    }

    private static func hash(file: URL, with start: StreamingHash, length: Int64?, progress: ((Int64) -> Void)?) throws -> String {
        try ImageFileAccess.withFile(file.path) { input in
            input.adviseSequential()
            let end = min(length ?? input.size, input.size)
            var hash = start
            var done: Int64 = 0
            try input.forEachChunk(in: 0..<end) { chunk in
                hash.update(chunk)
                done += Int64(chunk.count)
                progress?(done)
            }
            guard done == end else {
                throw EdgeError.cannotRead(file.path, "ended after \(done) of \(end) bytes")
            }
            return hash.finalizeHex()
        }
    }

    /// Hashes `file` with the expected checksum's algorithm and compares. Returns the actual digest.
    public static func verify(file: URL, against expected: ExpectedChecksum,
                              progress: ((Int64) -> Void)? = nil) throws -> ChecksumResult {
        let actual = try hash(file: file, algorithm: expected.algorithm, progress: progress)
        return ChecksumResult(expected: expected, actualHex: actual)
    }
}

/// The outcome of comparing a file with its expected checksum; both digests for the message.
public struct ChecksumResult: Sendable, Codable, Equatable {
    public var expected: ExpectedChecksum
    public var actualHex: String
    public var matches: Bool { expected.hex == actualHex }
}

enum Hex {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xf)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
