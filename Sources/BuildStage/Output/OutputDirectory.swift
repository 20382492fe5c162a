import EdgeCore
import Foundation

/// The build output directory (`build/`): created when missing; a file in its place is an error.
public enum OutputDirectory {
    public static func create(_ directory: URL) throws {
        switch FileState.of(directory.path) {
        case .directory: return
        case .missing:
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw EdgeError(.io, "could not create the output directory \(directory.path): \(error.localizedDescription)")
            }
        default:
            throw EdgeError(.malformed, "the output path \(directory.path) is a file, not a directory",
                            hint: "choose another --output directory")
        }
    }
}
