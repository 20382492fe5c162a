import EdgeCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file through a temporary file in the same directory and a rename, so a reader (or a
/// crash) never sees a half-written file under the final name.
public enum AtomicFile {
    /// A temporary path beside `final`, hidden, unique to this process.
    public static func temporaryPath(for final: URL) -> URL {
        final.deletingLastPathComponent()
            .appendingPathComponent(".\(final.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    public static func write(_ data: Data, to final: URL) throws {
        let temporary = temporaryPath(for: final)
        do {
            try data.write(to: temporary)
            try commit(temporary, to: final)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw EdgeError(.io, "could not write \(final.path): \(error.localizedDescription)")
        }
    }

    /// fsyncs `temporary` and renames it over `final`.
    public static func commit(_ temporary: URL, to final: URL) throws {
        let fd = open(temporary.path, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
        guard rename(temporary.path, final.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw EdgeError(.io, "could not rename \(temporary.path) to \(final.path): \(reason)")
        }
    }
}
