#if canImport(Glibc)
import Glibc
#endif

/// O_DIRECT: Glibc hides it behind _GNU_SOURCE, so Swift does not import it. The value differs by
/// architecture (asm-generic vs arm64's own fcntl.h).
enum DirectIOFlag {
    #if arch(arm64) || arch(arm)
    static let rawValue: CInt = 0o200000
    #else
    static let rawValue: CInt = 0o40000
    #endif
}
