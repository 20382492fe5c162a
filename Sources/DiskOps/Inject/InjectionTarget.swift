import EdgeCore
import FileIO
import ISOVerify

/// A stick or an image file opened for injection, as the writer's `WriteTarget` (buffered: the
/// writes are a few small regions, flushed once). Exclusive on a block device, so it is refused
/// while anything (a mount, another flasher) holds the stick. Its owner closes it (`closeAfter`):
/// libparted and libblkid open the device themselves for the read-back, after it is closed.
struct InjectionTarget {
    let path: String
    let device: BlockDevice
    var isBlockDevice: Bool { device.isBlockDevice }
    var size: Int64 { device.size }

    init(path: String, readOnly: Bool = false) throws {
        guard let status = FileStatus.of(path) else {
            throw EdgeError(.malformed, "\(path) does not exist")
        }
        guard status.kind == .blockDevice || status.kind == .regularFile else {
            throw EdgeError(.malformed, "\(path) is neither a block device nor an image file")
        }
        self.path = path
        device = try BlockDevice(path: path, access: readOnly ? .readOnly : .readWrite, direct: false,
                                 exclusive: status.kind == .blockDevice && !readOnly)
    }

    private init(path: String, device: BlockDevice) {
        self.path = path
        self.device = device
    }

    /// Runs `body` with this target, then closes it.
    func closeAfter<Result>(_ body: (InjectionTarget) throws -> Result) rethrows -> Result {
        defer { device.close() }
        return try body(self)
    }

    /// `count` bytes from `offset`, zero-padded where the target ends.
    func read(_ offset: Int64, _ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        guard offset < size else { return buffer }
        _ = try buffer.withUnsafeMutableBytes { try device.read(into: $0, at: offset) }
        return buffer
    }

    /// Makes an image file `newSize` bytes long (sparse), so the volume and a backup GPT fit.
    /// Returns the target with its new size (the same descriptor).
    func grown(to newSize: Int64) throws -> InjectionTarget {
        guard newSize > size else { return self }
        guard !isBlockDevice else {
            throw EdgeError(.io, "cannot grow \(path) to \(newSize) bytes: it is a block device")
        }
        do {
            return InjectionTarget(path: path, device: BlockDevice(file: try device.file.resized(to: newSize)))
        } catch {
            throw EdgeError(.io, "cannot grow \(path) to \(newSize) bytes: \(error.errno.description)")
        }
    }

    func write(_ write: DiskWrite) throws {
        try write.bytes.withUnsafeBytes { try device.write($0, at: write.offset) }
    }

    /// Makes what was written so far durable (fdatasync), before anything that depends on it is written.
    func flush() throws {
        try device.synchronize()
    }

    /// Asks the kernel to re-read the table (refused, harmlessly, where it parses none).
    func rereadPartitionTable() {
        try? device.rereadPartitionTable()
    }
}
