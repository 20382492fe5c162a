import Crypto
import EdgeCore
import FileIO

/// The whole-image MD5 check, kept apart from the parser so the fuzz target builds without Crypto.
extension ImplantedMD5 {
    /// Hashes the image the way checkisomd5 does; returns the computed MD5 (lowercase hex).
    public func compute(_ file: OpenFile, volumeBytes: Int64, progress: ((Int64) -> Void)? = nil) throws -> String {
        let end = volumeBytes - Int64(skipSectors) * 2048
        guard end > 0 else { throw EdgeError(.malformed, "implanted MD5 skips more sectors than the volume has") }
        guard end <= file.size else {
            throw EdgeError(.malformed, "image is truncated: the implanted MD5 covers \(end) bytes, the file has \(file.size)")
        }
        file.adviseSequential()
        var md5 = Insecure.MD5()
        let blank = Self.applicationUseOffset..<(Self.applicationUseOffset + Int64(Self.applicationUseLength))
        var offset: Int64 = 0
        try file.forEachChunk(in: 0..<end) { chunk in
            let range = offset..<(offset + Int64(chunk.count))
            if range.overlaps(blank) {
                var copy = [UInt8](chunk)
                let lo = Int(max(blank.lowerBound, range.lowerBound) - offset)
                let hi = Int(min(blank.upperBound, range.upperBound) - offset)
                for i in lo..<hi { copy[i] = 0x20 }
                copy.withUnsafeBytes { md5.update(bufferPointer: $0) }
            } else {
                md5.update(bufferPointer: chunk)
            }
            offset += Int64(chunk.count)
            progress?(offset)
        }
        return Hex.encode(md5.finalize())
    }
}
