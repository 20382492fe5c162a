import EdgeCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A stick or an image file opened read-write for injection; owns its descriptor.
final class InjectionTarget {
    let path: String
    let isBlockDevice: Bool
    private(set) var size: Int64
    private let fd: Int32

    init(path: String, readOnly: Bool = false) throws {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else { throw Self.ioError("cannot open \(path)") }
        isBlockDevice = (info.st_mode & S_IFMT) == S_IFBLK
        guard isBlockDevice || (info.st_mode & S_IFMT) == S_IFREG else {
            throw InjectionError(message: "\(path) is neither a block device nor an image file", exitStatus: .invalidInput)
        }
        // O_EXCL on a block device: refused while anything (a mount, another flasher) holds it.
        let descriptor = open(path, (readOnly ? O_RDONLY : O_RDWR | (isBlockDevice ? O_EXCL : 0)) | O_CLOEXEC)
        guard descriptor >= 0 else {
            let busy = errno == EBUSY
            throw InjectionError(message: busy ? "\(path) is busy (mounted or in use)" : "cannot open \(path) for writing: \(String(cString: strerror(errno)))",
                                 hint: busy ? "Unmount its partitions first." : nil, exitStatus: busy ? .refused : .ioError)
        }
        fd = descriptor
        size = Int64(lseek(fd, 0, SEEK_END))
    }

    deinit { close(fd) }

    /// `count` bytes from `offset`, zero-padded where the target ends.
    func read(_ offset: Int64, _ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw Self.ioError("cannot read \(path) at byte \(offset + Int64(done))") }
            if n == 0 { break }
            done += n
        }
        return buffer
    }

    func grow(to newSize: Int64) throws {
        guard newSize > size else { return }
        guard !isBlockDevice, ftruncate(fd, off_t(newSize)) == 0 else { throw Self.ioError("cannot grow \(path) to \(newSize) bytes") }
        size = newSize
    }

    func write(_ write: DiskWrite) throws {
        var done = 0
        let count = write.bytes.count
        while done < count {
            let n = write.bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, count - done, off_t(write.offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw Self.ioError("cannot write \(path) at byte \(write.offset + Int64(done))") }
            done += n
        }
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw Self.ioError("cannot flush \(path)") }
        // Ask the kernel to re-read the table; harmless (and ignored) where it parses none.
        if isBlockDevice { _ = ioctl(fd, UInt(0x125F)) }   // BLKRRPART
    }

    private static func ioError(_ what: String) -> InjectionError {
        InjectionError(message: "\(what): \(String(cString: strerror(errno)))", exitStatus: .ioError)
    }
}
