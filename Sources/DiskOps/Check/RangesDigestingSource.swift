import EdgeCore

/// An image source that takes the digest of a bmap's ranges (`RangesDigest`) of the bytes read
/// through it: `check --image` names a stick written through a bmap by it, as the flash log does.
/// Read by one thread, front to back.
final class RangesDigestingSource: ImageSource, @unchecked Sendable {
    private let source: any ImageSource
    private var digest: RangesDigest
    private var offset: Int64 = 0

    init(_ source: any ImageSource, ranges: [Range<Int64>]) {
        self.source = source
        digest = RangesDigest(ranges: ranges)
    }

    var path: String { source.path }
    var size: Int64 { source.size }
    var sizeIsStated: Bool { source.sizeIsStated }
    func storedFileDigest() -> String? { source.storedFileDigest() }

    func readNext(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let got = try source.readNext(into: buffer)
        digest.update(UnsafeRawBufferPointer(rebasing: buffer[..<got]), at: offset)
        offset += Int64(got)
        return got
    }

    /// Once the source was read to its end.
    func finalizeHex() -> String { digest.finalizeHex() }
}
