import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Runs a C call that returns -1 and sets errno on failure, and turns the failure into an `Errno`.
/// The one place edgeflash retries EINTR (as swift-system's `valueOrErrno(retryOnInterrupt:)`):
/// every system call of the file layer (open, fstat, pread, pwrite, fdatasync, ioctl, fadvise...)
/// goes through here.
@discardableResult
func valueOrErrno<Value: FixedWidthInteger>(retryOnInterrupt: Bool = true, _ call: () -> Value) throws(Errno) -> Value {
    while true {
        let result = call()
        if result != -1 { return result }
        let code = Errno(rawValue: errno)
        if retryOnInterrupt && code == .interrupted { continue }
        throw code
    }
}

/// For the calls that return the error number instead of setting errno (posix_fadvise).
func errorNumberAsErrno(_ result: CInt) -> CInt {
    guard result != 0 else { return 0 }
    errno = result
    return -1
}
