import EdgeCore
import ISOVerify

/// `DiskImageFinish` on a real disk: planned for the disk the policy accepted, applied to it after
/// the write, and found again by `verify --against`. (The plan itself is pure, and fuzzed.)
extension DiskImageFinish {
    /// The finish for `image` written to `disk` (see the plan over a disk's size and sector size).
    static func plan(imagePath: String, imageSize: Int64, imageEnd: Int64?, disk: Disk, grow: Bool,
                     read: (Int64, Int) throws -> [UInt8]) throws -> DiskImageFinish? {
        try plan(imagePath: imagePath, imageSize: imageSize, imageEnd: imageEnd, diskPath: disk.path, diskSize: disk.size,
                 diskSectorSize: disk.logicalSectorSize, grow: grow, read: read)
    }

    /// What a write left on `device` for an image (`imageSize` bytes as written, read through
    /// `read`), as `verify --against` and `check` need it: the finish (with or without `--grow`) whose tables after the image (the
    /// backup GPT at the disk's end; for an MBR, its table) the device holds; nil when none does (an
    /// ISO, an image whose tables needed nothing). The bytes inside the image are then compared with
    /// the finish's tables, so a byte changed anywhere in them is still a difference. `imageEnd`:
    /// as for `plan`; for a stream whose length is not known yet (`imageSize` only a bound), the
    /// finish write planned, which the device must then hold whole.
    static func found(imagePath: String, imageSize: Int64, imageEnd: Int64?, read: (Int64, Int) throws -> [UInt8],
                      on device: BlockDevice) throws -> DiskImageFinish? {
        for grow in [false, true] {
            guard let finish = try? plan(imagePath: imagePath, imageSize: imageSize, imageEnd: imageEnd, diskPath: device.path, diskSize: device.size,
                                         diskSectorSize: device.logicalSectorSize, grow: grow, read: read),
                  !finish.phases.isEmpty else { continue }
            let beyond = finish.writes.compactMap { $0.clipped(to: imageSize..<Int64.max) }
            if try (beyond.isEmpty ? finish.writes : beyond).allSatisfy({ try device.readDirect($0.offset, $0.bytes.count) == $0.bytes }) {
                return finish
            }
        }
        return nil
    }

    /// Writes the tables (each phase flushed before the next: the backup GPT before the primary
    /// that points at it), asks the kernel to re-read them, and reads them back from the disk.
    func apply(to path: String) throws {
        guard !phases.isEmpty else { return }  // left as the image made them
        try InjectionTarget(path: path).closeAfter { target in
            for phase in phases {
                for write in phase { try target.write(write) }
                try target.flush()
            }
            target.rereadPartitionTable()
        }
        try InjectionTarget(path: path, readOnly: true).closeAfter { reader in
            reader.device.dropCaches()
            try check(readBack: TargetTables.read(diskSize: reader.size, sectorSize: sectorSize, read: reader.read), on: path)
        }
    }
}
