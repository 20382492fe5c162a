import EdgeCore
import ISOVerify
#if canImport(Glibc)
import Glibc
#endif

/// A stick or an image file opened for injection, through the writer's `BlockDevice` (buffered:
/// the writes are a few small regions, flushed once). Exclusive on a block device, so it is
/// refused while anything (a mount, another flasher) holds the stick.
final class InjectionTarget {
    let path: String
    let isBlockDevice: Bool
    private let readOnly: Bool
    private var device: BlockDevice
    var size: Int64 { device.size }

    init(path: String, readOnly: Bool = false) throws {
        guard let status = FileStatus.of(path) else {
            throw EdgeError(.malformed, "\(path) does not exist")
        }
        guard status.kind == .blockDevice || status.kind == .regularFile else {
            throw EdgeError(.malformed, "\(path) is neither a block device nor an image file")
        }
        self.path = path
        self.readOnly = readOnly
        isBlockDevice = status.kind == .blockDevice
        device = try Self.open(path, readOnly: readOnly, exclusive: isBlockDevice)
    }

    /// A device busy for a moment is waited for (up to 2 s): right after `write`, its writer's
    /// pipeline thread may still hold the stick's exclusive descriptor for a few milliseconds
    /// (write --user-data failed "Device or resource busy" now and then), and on a desktop a probe
    /// may briefly hold a freshly written stick. A mount or another flasher holds it for longer,
    /// and is then refused as before.
    private static func open(_ path: String, readOnly: Bool, exclusive: Bool) throws -> BlockDevice {
        let access: BlockDevice.Access = readOnly ? .readOnly : .readWrite
        for _ in 0..<40 {
            let result = Result { () throws(DeviceIOError) -> BlockDevice in
                try BlockDevice(path: path, access: access, direct: false, exclusive: exclusive && !readOnly)
            }
            if case .failure(let error) = result, error.errno == .resourceBusy, exclusive, !readOnly {
                usleep(50_000)
                continue
            }
            return try result.get()
        }
        return try BlockDevice(path: path, access: access, direct: false, exclusive: exclusive && !readOnly)
    }

    /// `count` bytes from `offset`, zero-padded where the target ends.
    func read(_ offset: Int64, _ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        guard offset < size else { return buffer }
        _ = try buffer.withUnsafeMutableBytes { try device.read(into: $0, at: offset) }
        return buffer
    }

    /// Makes an image file `newSize` bytes long (sparse), so the volume and a backup GPT fit.
    func grow(to newSize: Int64) throws {
        guard newSize > size else { return }
        guard !isBlockDevice, truncate(path, off_t(newSize)) == 0 else {
            throw EdgeError(.io, "cannot grow \(path) to \(newSize) bytes: \(String(cString: strerror(errno)))")
        }
        device = try Self.open(path, readOnly: readOnly, exclusive: false)
    }

    func write(_ write: DiskWrite) throws {
        try write.bytes.withUnsafeBytes { try device.write($0, at: write.offset) }
    }

    /// Makes what was written so far durable (fsync), before anything that depends on it is written.
    func flush() throws {
        try device.synchronize()
    }

    /// Asks the kernel to re-read the table (refused, harmlessly, where it parses none).
    func rereadPartitionTable() {
        try? device.rereadPartitionTable()
    }
}
