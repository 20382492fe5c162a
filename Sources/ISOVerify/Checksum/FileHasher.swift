import Crypto
import EdgeCore
import FileIO
import Foundation

/// An incremental SHA-256/SHA-512 (swift-crypto: BoringSSL's assembly, SHA-NI where the CPU has
/// it). The writer feeds it the chunks it writes; `FileHasher` feeds it a file.
/// Unchecked Sendable: swift-crypto's digests are copy-on-write values like Array, just not marked.
public struct StreamingHash: @unchecked Sendable {
    public let algorithm: HashAlgorithm
    private var sha256 = SHA256()
    private var sha512 = SHA512()

    public init(_ algorithm: HashAlgorithm) { self.algorithm = algorithm }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch algorithm {
        case .sha256: sha256.update(bufferPointer: bytes)
        case .sha512: sha512.update(bufferPointer: bytes)
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
        try ImageFileAccess.withFile(file.path) { input in
            input.adviseSequential()
            let end = min(length ?? input.size, input.size)
            var hash = StreamingHash(algorithm)
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
