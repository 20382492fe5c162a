import EdgeCore
import Foundation

/// What `skopeo inspect` says of an image before any layer is fetched: its platform (from the
/// config blob, of the instance picked for the build's architecture in a multi-arch index), the
/// digest of the manifest the source names, and how many layers it has. Pure.
struct ImageInspection: Sendable, Equatable {
    var digest: String?
    var architecture: String?
    var os: String?
    var layerCount: Int

    /// What `skopeo inspect --format` prints: only the four fields, one a line, so an image with
    /// big metadata (long labels, hundreds of layers) prints no more than a small one. skopeo 1.9's
    /// templates have no `json` function; a value with a line break in it makes more than four
    /// lines and is refused.
    static let format = "{{.Digest}}\n{{.Architecture}}\n{{.Os}}\n{{len .Layers}}"

    static func parse(_ output: String, source: ImageSourceReference) throws(EdgeError) -> ImageInspection {
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard lines.count == 4, let layerCount = Int(lines[3]) else {
            throw EdgeError(.failure, "skopeo inspect \(source) printed no image description: \(output.prefix(200).debugDescription)")
        }
        // Empty strings are what skopeo prints for a config without them.
        func value(_ line: String) -> String? { line.isEmpty ? nil : line }
        return ImageInspection(digest: value(lines[0]), architecture: value(lines[1]), os: value(lines[2]), layerCount: layerCount)
    }

    /// Refuses an image for another platform than `linux/architecture`. An image whose config
    /// names no platform is taken (nothing says it is another one).
    func check(architecture wanted: String, source: ImageSourceReference) throws(EdgeError) {
        if let os, os != "linux" {
            throw EdgeError(.malformed, "the image \(source) is for \(os)/\(architecture ?? "?"); an installer ISO needs a linux image",
                            hint: "build from a Linux image")
        }
        if let architecture, architecture != wanted {
            throw EdgeError(.malformed, "the image \(source) is for \(architecture); --arch/ARCH is \(wanted)",
                            hint: "use the \(wanted) image (a multi-arch image is picked for ARCH), or build for \(architecture)")
        }
    }
}
