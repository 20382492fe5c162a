import Foundation

/// `build/images.json`: each pushed image's reference (the provider images and the iso-image) and
/// the digest the registry gave it. Entries from earlier runs stay unless this run pushed the same
/// reference again.
public enum ImagesRecord {
    public static let fileName = "images.json"

    public static func update(_ directory: URL, pushed: [ImageBuilder.Outcome]) throws -> URL {
        let url = directory.appendingPathComponent(fileName)
        var record = (try? JSONDecoder().decode([String: String].self, from: Data(contentsOf: url))) ?? [:]
        for outcome in pushed where outcome.pushed {
            if let digest = outcome.digest { record[outcome.reference] = digest }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(record) + Data("\n".utf8), to: url)
        return url
    }
}
