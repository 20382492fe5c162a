import EdgeCore
import FileIO

/// ISOVerify reads images through the shared file layer and words its failures its own way:
/// "cannot read PATH: reason", the wording `inspect` and `verify` have always printed.
enum ImageFileAccess {
    /// Opens `path` read-only, runs `body`, closes it. Refuses what is neither a regular file nor a
    /// block device; I/O errors (from `body` too) become `EdgeError`s.
    static func withFile<Result>(_ path: String, _ body: (OpenFile) throws -> Result) throws -> Result {
        let file: OpenFile
        do {
            file = try OpenFile.open(path)
        } catch {
            throw EdgeError(.malformed, error)
        }
        return try file.closeAfter { file in
            guard file.kind == .regularFile || file.kind == .blockDevice else {
                throw EdgeError(.malformed, "\(path) is not a regular file or block device")
            }
            do {
                return try body(file)
            } catch let error as DeviceIOError {
                throw EdgeError(.malformed, error)
            }
        }
    }
}

extension EdgeError {
    init(_ error: DeviceIOError) {
        var what = error.errno.description
        if let offset = error.offset, error.operation != .open { what += " at byte \(offset)" }
        self = .io(error.path, what)
    }
}
