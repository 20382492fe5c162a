import EdgeCore
import Foundation
import ISOVerify
#if canImport(Glibc)
import Glibc
#endif

/// `OUTPUT/<ISO_NAME>.iso` and its `.sha256`, as every ISO build writes them: the tool writes a
/// hidden temporary ISO beside the final name, then `publish` hashes it, writes the checksum file
/// the same way and renames both into place. A failure before `publish` leaves an earlier build
/// intact; `publish` removes the earlier checksum before it replaces the ISO, so no failure leaves
/// a checksum naming another ISO. `removeTemporaries` cleans up on every way out.
struct ISOOutputFiles {
    let iso: URL
    let checksumFile: URL
    let temporaryISO: URL
    let temporaryChecksum: URL

    init(directory: URL, isoName: String) {
        iso = directory.appendingPathComponent("\(isoName).iso")
        checksumFile = directory.appendingPathComponent("\(isoName).iso.sha256")
        temporaryISO = AtomicFile.temporaryPath(for: iso)
        temporaryChecksum = AtomicFile.temporaryPath(for: checksumFile)
    }

    /// A private (0700) directory beside the ISO, `.<name>.iso.PURPOSE-*`, for what the build makes
    /// on the way (an unpacked image, the squashfs): on the ISO's filesystem, so its space is
    /// checked where it is used. The caller removes it.
    func makeScratch(_ purpose: String) throws -> URL {
        let scratch = iso.deletingLastPathComponent()
            .appendingPathComponent(".\(iso.lastPathComponent).\(purpose)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw EdgeError(.io, "could not create a scratch directory in \(scratch.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
        return scratch
    }

    func removeTemporaries() {
        try? FileManager.default.removeItem(at: temporaryISO)
        try? FileManager.default.removeItem(at: temporaryChecksum)
    }

    /// Hashes the temporary ISO, writes the checksum file (GNU coreutils format, so `sha256sum -c`
    /// and `edgeflash verify` accept it) and renames both into place. An earlier build's checksum
    /// is removed before its ISO is replaced, so no failure leaves a checksum naming a missing or
    /// different ISO: the rename of the ISO failing leaves the earlier ISO without a checksum; the
    /// rename of the checksum failing removes the new ISO too (an ISO without its checksum would be
    /// taken for unverified), leaving neither.
    func publish(interrupt: StagingInterrupt, progress: (String) -> Void) throws -> (sha256: String, size: Int64) {
        progress("computing SHA-256")
        let hex = try FileHasher.hash(file: temporaryISO, algorithm: .sha256)
        try interrupt.check()
        do {
            try AtomicFile.createPrivate(temporaryChecksum)
            let handle = try FileHandle(forWritingTo: temporaryChecksum)
            defer { try? handle.close() }
            try handle.write(contentsOf: Data("\(hex)  \(iso.lastPathComponent)\n".utf8))
        } catch {
            throw EdgeError(.io, "could not write \(checksumFile.path): \(error.localizedDescription)")
        }
        if unlink(checksumFile.path) != 0, errno != ENOENT {
            throw EdgeError(.io, "could not remove the earlier \(checksumFile.path): \(String(cString: strerror(errno)))",
                            hint: "nothing was written; check the permissions of the --output directory")
        }
        try AtomicFile.commit(temporaryISO, to: iso)
        do {
            try AtomicFile.commit(temporaryChecksum, to: checksumFile)
        } catch {
            try? FileManager.default.removeItem(at: iso)
            throw error
        }
        return (hex, Self.size(of: iso.path))
    }

    static func size(of path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
    }

    /// Free bytes on the filesystem holding `directory`, nil when it cannot be told.
    static func availableBytes(in directory: URL) -> Int64? {
        var stats = statvfs()
        guard statvfs(directory.path, &stats) == 0 else { return nil }
        // Saturated: a filesystem may report counts whose product overflows.
        let (bytes, overflow) = Int64(clamping: stats.f_bavail).multipliedReportingOverflow(by: Int64(clamping: stats.f_frsize))
        return overflow ? .max : bytes
    }

    /// Refuses up front when `needed` bytes will not fit beside the output.
    static func checkSpace(_ needed: Int64, in directory: URL, for what: String) throws {
        guard let available = availableBytes(in: directory), available < needed else { return }
        throw EdgeError(.io, "not enough space in \(directory.path) for \(what): needs about \(needed >> 20) MiB, \(available >> 20) MiB free",
                        hint: "free some space or choose another --output directory")
    }
}
