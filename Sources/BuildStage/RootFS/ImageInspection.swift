import EdgeCore
import Foundation

/// What `skopeo inspect` says of an image before any layer is fetched: its platform (from the
/// config blob, of the instance picked for the build's architecture in a multi-arch index), the
/// digest of the manifest the source names, and how many layers it has. Pure.
struct ImageInspection: Sendable, Equatable, Decodable {
    var digest: String?
    var architecture: String?
    var os: String?
    var layers: [String]?

    enum CodingKeys: String, CodingKey {
        case digest = "Digest", architecture = "Architecture", os = "Os", layers = "Layers"
    }

    static func parse(_ json: String, source: ImageSourceReference) throws(EdgeError) -> ImageInspection {
        do {
            var inspection = try JSONDecoder().decode(ImageInspection.self, from: Data(json.utf8))
            // Empty strings are what skopeo prints for a config without them.
            if inspection.digest?.isEmpty == true { inspection.digest = nil }
            if inspection.architecture?.isEmpty == true { inspection.architecture = nil }
            if inspection.os?.isEmpty == true { inspection.os = nil }
            return inspection
        } catch {
            throw EdgeError(.failure, "skopeo inspect \(source) printed no image description: \(error)")
        }
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
