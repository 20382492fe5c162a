import EdgeCore
import FileIO

/// ISOVerify reads images through the shared file layer and words its failures its own way:
/// "cannot read PATH: reason", the wording `inspect` and `verify` have always printed.
enum ImageFileAccess {
    /// Opens `path` read-only, runs `body`, closes it. Refuses what is neither a regular file nor a
    /// block device; I/O errors (from `body` too) become `EdgeError.cannotRead`.
    static func withFile<Result>(_ path: String, _ body: (OpenFile) throws -> Result) throws -> Result {
        let file: OpenFile
        do {
            file = try OpenFile.open(path)
        } catch {
            throw EdgeError.cannotRead(error)
        }
        return try file.closeAfter { file in
            guard file.kind == .regularFile || file.kind == .blockDevice else {
                throw EdgeError(.malformed, "\(path) is not a regular file or block device")
            }
            do {
                return try body(file)
            } catch let error as DeviceIOError {
                throw EdgeError.cannotRead(error)
            }
        }
    }
}

extension EdgeError {
    /// A failed system call on an image, in ISOVerify's words.
    static func cannotRead(_ error: DeviceIOError) -> EdgeError {
        var what = error.errno.description
        if let offset = error.offset, error.operation != .open { what += " at byte \(offset)" }
        return cannotRead(error.path, what)
    }
}
