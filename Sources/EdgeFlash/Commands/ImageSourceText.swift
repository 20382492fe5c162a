import EdgeCore

/// `--from-image SOURCE` as this build understands it: `dir:PATH`, a root filesystem used as it
/// is. The other forms (a registry reference, oci:, oci-archive:, docker-archive:) need the image
/// unpacker, which this build does not have yet: they are refused by name.
enum ImageSourceText {
    static func directory(_ text: String) throws -> String {
        if text.hasPrefix("dir:") {
            let path = String(text.dropFirst(4))
            guard !path.isEmpty else {
                throw EdgeError(.usage, "--from-image dir: needs a path", hint: "write dir:PATH, e.g. dir:/srv/iso-root")
            }
            return path
        }
        let form = ["oci:", "oci-archive:", "docker-archive:"].first { text.hasPrefix($0) } ?? "a registry reference"
        throw EdgeError(.unavailable, "--from-image \(text): \(form) sources are not supported by this build yet; only dir:PATH is",
                        hint: "unpack the image into a directory (e.g. `skopeo copy ... oci:img:tag` then `umoci raw unpack`) and give dir:PATH")
    }
}
