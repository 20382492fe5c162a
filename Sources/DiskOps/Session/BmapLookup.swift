import Foundation
import ISOVerify

extension WriteConfiguration.BmapChoice {
    /// The block map this choice names for `imagePath` (given with `--bmap`, or found beside the
    /// image as bmaptool finds it; none with `--no-bmap`), read and checked (its signature too,
    /// against `keyring`) and matched with the image's length when that is known (`imageSize`).
    /// `write` follows it; `verify --against` and `check --image` compare only its ranges.
    public func imageMap(forImage imagePath: String, imageSize: Int64?, keyring: String?) throws -> ImageMap? {
        let path: String?
        switch self {
        case .none: path = nil
        case .file(let given): path = given
        case .beside: path = BlockMap.discover(forImage: imagePath)
        }
        guard let path else { return nil }
        let map = ImageMap(try BlockMap.load(path, keyring: keyring.map { URL(fileURLWithPath: $0) }).map,
                           source: URL(fileURLWithPath: path).lastPathComponent)
        if let imageSize { try map.refuseUnlessMade(forImageOf: imageSize, imagePath: imagePath) }
        return map
    }
}

extension WriteConfiguration.BmapChoice {
    /// From the command line: `--bmap FILE`, `--no-bmap`, else the one beside the image.
    public init(given: String?, skip: Bool) {
        self = skip ? .none : given.map { .file($0) } ?? .beside
    }
}
