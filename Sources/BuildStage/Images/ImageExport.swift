import EdgeCore
import Foundation

/// A locally built image written to an archive that `build iso --from-image` reads: how
/// `build all` hands the iso-image from the engine's own storage to the ISO builder, with no
/// registry in between.
public enum ImageExport {
    /// Writes `reference` to `archive` with `engine` and returns the source text for it. On any
    /// failure, Ctrl-C included (`children` stopped), nothing is left at `archive`.
    public static func save(_ reference: String, engine: ContainerEngine, to archive: URL, children: ChildGroup) throws -> String {
        try? FileManager.default.removeItem(at: archive)
        let save = EngineCommands(engine: engine, arch: "").save(reference, to: archive.path)
        let result: ChildProcess.Result
        do {
            result = try ChildProcess.run(save.command[0], Array(save.command.dropFirst()), started: { children.started($0) })
        } catch {
            try? FileManager.default.removeItem(at: archive)
            throw error
        }
        guard !children.isStopped else {
            try? FileManager.default.removeItem(at: archive)
            throw EdgeError(.interrupted, "interrupted while exporting \(reference); nothing was left in \(archive.deletingLastPathComponent().path)")
        }
        guard result.succeeded else {
            try? FileManager.default.removeItem(at: archive)
            let tail = result.stderr.split(separator: "\n").suffix(3).joined(separator: " | ")
            throw EdgeError(.failure, "\(engine.rawValue) could not export \(reference): \(tail)",
                            hint: "the image was built; `\(EngineCommands.display(save.command))` shows the engine's whole message")
        }
        return save.source
    }
}
