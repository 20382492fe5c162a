import Crypto
import ISOVerify

/// A streaming SHA-256 or SHA-512 of the image (BoringSSL's assembly through swift-crypto), fed in
/// image order while the image is written, so the checksum costs no separate pass.
public struct ImageHasher {
    private enum State {
        case sha256(SHA256)
        case sha512(SHA512)
    }
    private var state: State
    public let algorithm: HashAlgorithm

    public init(_ algorithm: HashAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .sha256: state = .sha256(SHA256())
        case .sha512: state = .sha512(SHA512())
        }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .sha256(var hash):
            hash.update(bufferPointer: bytes)
            state = .sha256(hash)
        case .sha512(var hash):
            hash.update(bufferPointer: bytes)
            state = .sha512(hash)
        }
    }

    /// Lowercase hex, as checksum files write it.
    public func finalizeHex() -> String {
        switch state {
        case .sha256(let hash): return hash.finalize().map { hexByte($0) }.joined()
        case .sha512(let hash): return hash.finalize().map { hexByte($0) }.joined()
        }
    }

    private func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
