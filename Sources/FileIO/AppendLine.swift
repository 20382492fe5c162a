import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Appends one line to a log file that several writers (threads, processes) share, so that a crash
/// never leaves a torn line inside the file: one write(2) with O_APPEND (the kernel puts it whole at
/// the end), then fsync. A line torn by an earlier crash is ended first, so it spoils only itself.
/// Creates the file with `mode` when it does not exist. Opened read-write: the last byte is read to
/// find a torn line.
public func appendLine(_ line: [UInt8], to path: String, mode: mode_t = 0o640) throws(DeviceIOError) {
    let descriptor = try openForAppending(path, mode: mode)
    defer { _ = Glibc.close(descriptor) }
    var bytes = line
    if bytes.last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
    do throws(Errno) {
        var info = stat()
        try valueOrErrno { fstat(descriptor, &info) }
        if info.st_size > 0 {
            var last: UInt8 = 0
            let got = try valueOrErrno { pread(descriptor, &last, 1, off_t(info.st_size - 1)) }
            if got == 1 && last != UInt8(ascii: "\n") { bytes.insert(UInt8(ascii: "\n"), at: 0) }
        }
    } catch {
        throw DeviceIOError(path: path, operation: .read, errno: error)
    }
    do throws(Errno) {
        let written = try valueOrErrno { bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress!, $0.count) } }
        // A short write to a regular file means the disk is full: what got there is a torn line.
        if written != bytes.count { throw Errno.noSpace }
        try valueOrErrno { fsync(descriptor) }
    } catch {
        throw DeviceIOError(path: path, operation: .write, errno: error)
    }
}

/// Throws what appending a line to `path` would when the file cannot be opened for appending (an
/// immutable or read-only file, a directory, a directory that cannot be written), and creates
/// nothing: a run that is declined or refused later leaves no file that was not there. An existing
/// file is opened for appending and closed; a missing one is made at its first line (with its
/// missing directories, as the flash log makes them), so the nearest directory on its way that
/// exists must let it be made there. A full disk shows only when a line is written.
public func requireAppendable(_ path: String) throws(DeviceIOError) {
    do throws(Errno) {
        _ = Glibc.close(try valueOrErrno { Glibc.open(path, O_RDWR | O_APPEND | O_CLOEXEC) })
        return
    } catch where error != .noSuchFileOrDirectory {
        throw DeviceIOError(path: path, operation: .open, errno: error)
    } catch {}
    // (A file on the way made open(2) say ENOTDIR above: what is on the way and exists is a directory.)
    var directory = FilePath(path).removingLastComponent()
    while true {
        do throws(Errno) {
            try valueOrErrno { access(directory.isEmpty ? "." : directory.string, W_OK | X_OK) }
            return
        } catch where error == .noSuchFileOrDirectory && directory.removingLastComponent() != directory {
            directory = directory.removingLastComponent()
        } catch {
            throw DeviceIOError(path: path, operation: .open, errno: error)
        }
    }
}

private func openForAppending(_ path: String, mode: mode_t) throws(DeviceIOError) -> CInt {
    do {
        return try valueOrErrno { Glibc.open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, mode) }
    } catch {
        throw DeviceIOError(path: path, operation: .open, errno: error)
    }
}
