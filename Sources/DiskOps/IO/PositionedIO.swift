import SystemPackage

/// pread/pwrite until the whole range is done: short transfers are continued (EINTR is already
/// retried by swift-system), and a failure becomes a DeviceIOError naming the byte offset.
extension FileDescriptor {
    /// Returns how many bytes were read; fewer than asked only at the end of the file or device.
    func readFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws(DeviceIOError) -> Int {
        var done = 0
        while done < buffer.count {
            let position = offset + Int64(done)
            do {
                let got = try read(fromAbsoluteOffset: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
                if got == 0 { break }
                done += got
            } catch {
                throw DeviceIOError(path: path, operation: .read, offset: position, errno: error as? Errno ?? .ioError)
            }
        }
        return done
    }

    func writeFully(_ bytes: UnsafeRawBufferPointer, at offset: Int64, path: String) throws(DeviceIOError) {
        var done = 0
        while done < bytes.count {
            let position = offset + Int64(done)
            do {
                let written = try write(toAbsoluteOffset: position, UnsafeRawBufferPointer(rebasing: bytes[done...]))
                if written == 0 { throw Errno.noSpace }
                done += written
            } catch {
                throw DeviceIOError(path: path, operation: .write, offset: position, errno: error as? Errno ?? .ioError)
            }
        }
    }
}
