import FileIO

extension BlockDevice {
    /// `count` bytes from `offset` through O_DIRECT (the covering sectors read into an aligned
    /// buffer), zero-padded where the device ends: the small table and volume reads of `check`,
    /// which must see the stick, not the page cache.
    func readDirect(_ offset: Int64, _ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard offset >= 0, offset < size, count > 0 else { return bytes }
        let sector = Int64(max(logicalSectorSize, 512))
        let start = offset / sector * sector
        let end = min((offset + Int64(count) + sector - 1) / sector * sector, (size + sector - 1) / sector * sector)
        let buffer = AlignedBuffer(capacity: (Int(end - start) + AlignedBuffer.alignment - 1) / AlignedBuffer.alignment * AlignedBuffer.alignment)
        let got = try read(into: UnsafeMutableRawBufferPointer(start: buffer.pointer, count: Int(end - start)), at: start)
        let available = max(0, min(count, got - Int(offset - start)))
        if available > 0 {
            bytes.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: buffer.pointer + Int(offset - start), byteCount: available) }
        }
        return bytes
    }
}
