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

    /// Creates `url` empty and readable by its owner only (0600), so what is written into it before
    /// `commit` (an ISO holding user-data) is never readable by others, not even for a moment.
    public static func createPrivate(_ url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw EdgeError(.io, "could not create \(url.path): \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    /// fsyncs `temporary`, gives it the mode a new file gets (0666 less the umask: a private
    /// temporary file is private only while it is being written) and renames it over `final`.
    public static func commit(_ temporary: URL, to final: URL) throws {
        let fd = open(temporary.path, O_RDONLY)
        if fd >= 0 {
            let mask = umask(0)
            umask(mask)
            _ = fchmod(fd, 0o666 & ~mask)
            _ = fsync(fd)
            close(fd)
        }
        guard rename(temporary.path, final.path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw EdgeError(.io, "could not rename \(temporary.path) to \(final.path): \(reason)")
        }
    }
}
