import ISOVerify

extension DiskImageFinish {
    /// The finish a write made on `device` for an image whose first `imageSize` bytes the stick
    /// holds, `imageTables` (`ImageTablesOnStick`) being the tables it rewrote as the image had
    /// them: planned again from those tables for this disk (with or without `--grow`), and found
    /// only when the stick holds every byte of it, inside the image and past its end, and the
    /// image's tables wherever the finish left them. `check` hashed the region with `imageTables`
    /// in place, so without this a changed byte in them, or in the moved backup, would go unseen.
    static func found(onStick device: BlockDevice, imageSize: Int64, imageTables: [DiskWrite]) throws -> DiskImageFinish? {
        let image = { (offset: Int64, count: Int) throws -> [UInt8] in
            var bytes = try device.readDirect(offset, count)
            let kept = Int(max(0, min(Int64(count), imageSize - offset)))
            bytes.replaceSubrange(kept..., with: repeatElement(0, count: count - kept))
            return DiskWrite(offset: offset, bytes: bytes).patched(with: imageTables).bytes
        }
        guard let finish = try found(imagePath: device.path, imageSize: imageSize, imageEnd: imageSize, read: image, on: device) else { return nil }
        let expected = imageTables.map { $0.patched(with: finish.writes) } + finish.writes
        return try expected.allSatisfy { try device.readDirect($0.offset, $0.bytes.count) == $0.bytes } ? finish : nil
    }
}

extension DiskWrite {
    /// These bytes with `writes` put over them where they overlap.
    func patched(with writes: [DiskWrite]) -> DiskWrite {
        var result = self
        for write in writes {
            guard let part = write.clipped(to: range) else { continue }
            let at = Int(part.offset - offset)
            result.bytes.replaceSubrange(at..<(at + part.bytes.count), with: part.bytes)
        }
        return result
    }
}
