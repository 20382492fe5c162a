import EdgeCore
import FileIO

/// The whole-image MD5 check, kept apart from the parser so the fuzz target builds without Crypto.
extension ImplantedMD5 {
    /// Hashes the image the way checkisomd5 does; returns the computed MD5 (lowercase hex).
    public func compute(_ file: any ImageBytes, volumeBytes: Int64, progress: ((Int64) -> Void)? = nil) throws -> String {
        let expected = try expected(volumeBytes: volumeBytes)
        let end = expected.implantedMD5Length!
        guard end <= file.size else {
            throw EdgeError(.malformed, "image is truncated: the implanted MD5 covers \(end) bytes, the file has \(file.size)")
        }
        (file as? OpenFile)?.adviseSequential()
        var md5 = StreamingHash(for: expected)
        var offset: Int64 = 0
        try file.forEachChunk(of: 0..<end) { chunk in
            md5.update(chunk)
            offset += Int64(chunk.count)
            progress?(offset)
        }
        return md5.finalizeHex()
    }
}
