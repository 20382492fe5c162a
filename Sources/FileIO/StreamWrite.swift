import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// write(2) to a stream (a terminal, a pipe: no offset) until every byte is out.
public func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: CInt) throws(Errno) {
    var done = 0
    while done < bytes.count {
        let written = try valueOrErrno { Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done) }
        if written == 0 { return }
        done += written
    }
}
