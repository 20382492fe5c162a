import EdgeCore
import Foundation

extension LiveISOBuilder {
    /// `build iso --from-image SOURCE`: a `dir:` root is built from as it is; any other source is
    /// first unpacked by `RootFSUnpacker` into a hidden scratch directory beside the output (the
    /// same filesystem as the ISO, removed on every way out, Ctrl-C included), then built from.
    /// `request.root` is ignored: the source names the root.
    public func build(from source: ImageSourceReference, _ request: Request) throws -> Result {
        var request = request
        if case .directory(let path) = source {
            request.root = path
            return try build(request).from(source, digest: nil)
        }
        let directory = URL(fileURLWithPath: request.outputDirectory)
        try OutputDirectory.create(directory)
        let scratch = try ISOOutputFiles(directory: directory, isoName: request.isoName).makeScratch("image")
        // Ctrl-C while skopeo or umoci runs stops them; the builder traps it for its own tools after.
        let children = ChildGroup()
        let trap = SignalTrap { children.stopAll() }
        defer {
            try? FileManager.default.removeItem(at: scratch)
            withExtendedLifetime(trap) {}
        }
        let unpacked = try RootFSUnpacker(children: children, progress: progress)
            .unpack(source, into: scratch, architecture: request.architecture.rawValue)
        request.root = unpacked.path
        var result = try build(request).from(source, digest: unpacked.digest)
        // The unpacked root goes with the scratch: only the paths in the image still mean something.
        result.boot.kernel = nil
        result.boot.initrd = nil
        return result
    }
}

extension LiveISOBuilder.Result {
    func from(_ source: ImageSourceReference, digest: String?) -> Self {
        var result = self
        result.image = source.description
        result.imageDigest = digest
        return result
    }
}
