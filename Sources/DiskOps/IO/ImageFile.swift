import EdgeCore
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The source image, read sequentially through the page cache (it is usually already there after a
/// download or a checksum). Owns its descriptor.
public final class ImageFile: @unchecked Sendable {
    public let path: String
    public let size: Int64
    private let descriptor: FileDescriptor

    /// Throws `DeviceIOError` when the file cannot be opened or queried, and an invalid-input error
    /// for a directory: it opens and has a size, and would fail only at the first read, after a
    /// write had already cleared the disk's first MiB.
    public init(path: String) throws {
        do {
            descriptor = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch {
            throw DeviceIOError(path: path, operation: .open, errno: error as? Errno ?? .ioError)
        }
        self.path = path
        var info = stat()
        guard fstat(descriptor.rawValue, &info) == 0 else {
            let code = Errno(rawValue: errno)
            try? descriptor.close()
            throw DeviceIOError(path: path, operation: .query, errno: code)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            try? descriptor.close()
            throw EdgeError(.malformed, "\(path) is a directory, not an image",
                            hint: "Give the image file, such as installer.iso.")
        }
        size = Int64(info.st_size)
        // Read-ahead sized for a sequential pass; advice only, so a failure changes nothing.
        _ = try? retryingInterruptsOfErrorNumber({ posix_fadvise(descriptor.rawValue, 0, 0, POSIX_FADV_SEQUENTIAL) })
    }

    deinit { try? descriptor.close() }

    /// Fills `buffer` from `offset`, short only at the end of the file. Returns the bytes read.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(DeviceIOError) -> Int {
        try descriptor.readFully(into: buffer, at: offset, path: path)
    }
}
