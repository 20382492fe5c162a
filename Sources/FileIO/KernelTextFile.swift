import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A text file the kernel makes as it is read (/proc/self/mountinfo, /proc/swaps): its size says
/// 0, and a read may return less than asked long before the end (mountinfo hands out whole lines a
/// page at a time). Foundation's String(contentsOfFile:) stopped at the first short read, so a
/// machine with a page of mounts lost the rest (a mounted stick looked unmounted). Read until
/// read(2) returns 0.
public enum KernelTextFile {
    public static func read(_ path: String) throws(DeviceIOError) -> String {
        let descriptor: CInt
        do {
            descriptor = try valueOrErrno { open(path, O_RDONLY | O_CLOEXEC) }
        } catch {
            throw DeviceIOError(path: path, operation: .open, errno: error)
        }
        defer { _ = close(descriptor) }
        var bytes: [UInt8] = []
        let chunkSize = 65536
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let got: Int
            do {
                got = try valueOrErrno { Glibc.read(descriptor, chunk, chunkSize) }
            } catch {
                throw DeviceIOError(path: path, operation: .read, offset: Int64(bytes.count), errno: error)
            }
            if got == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes += UnsafeRawBufferPointer(start: chunk, count: got)
        }
    }
}
