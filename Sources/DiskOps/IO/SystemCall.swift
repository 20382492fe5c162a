import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The one place EINTR is retried for the calls swift-system does not wrap (ioctl, fdatasync,
/// posix_fadvise). `call` returns -1 and sets errno on failure, as those C calls do.
@discardableResult
func retryingInterrupts(_ call: () -> CInt) throws(Errno) -> CInt {
    while true {
        let result = call()
        if result >= 0 { return result }
        let code = Errno(rawValue: errno)
        if code == .interrupted { continue }
        throw code
    }
}

/// posix_fadvise returns the error number instead of setting errno; same retry rule.
func retryingInterruptsOfErrorNumber(_ call: () -> CInt) throws(Errno) {
    while true {
        let result = call()
        if result == 0 { return }
        let code = Errno(rawValue: result)
        if code == .interrupted { continue }
        throw code
    }
}
