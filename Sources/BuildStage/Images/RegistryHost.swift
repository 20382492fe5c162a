/// The registry an image reference names, and whether it is on this machine. Pure.
public enum RegistryHost {
    /// `registry.example.com:5000` for `registry.example.com:5000/edge/x:1`; `docker.io` when the
    /// first component is no host (no '.', no ':', not `localhost`), as the engines read it.
    public static func of(_ reference: String) -> String {
        guard let slash = reference.firstIndex(of: "/") else { return "docker.io" }
        let first = reference[..<slash]
        return first.contains(".") || first.contains(":") || first == "localhost" ? String(first) : "docker.io"
    }

    /// `localhost`, `127.x.y.z` or `[::1]`, with or without a port: served over plain HTTP, as docker
    /// treats loopback registries (buildah and podman need `--tls-verify=false` for them).
    public static func isLoopback(_ host: String) -> Bool {
        var name = Substring(host)
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { return false }
            return name[name.index(after: name.startIndex)..<close] == "::1"
        }
        if let colon = name.firstIndex(of: ":") { name = name[..<colon] }
        if name == "localhost" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    public static func isLoopback(reference: String) -> Bool { isLoopback(of(reference)) }

    /// What buildah, podman and skopeo need to reach `reference`'s registry: `OPTION=false` for a
    /// loopback one (plain HTTP), nothing otherwise (TLS verified). docker needs nothing.
    /// `option`: `--tls-verify`, or skopeo copy's `--src-tls-verify`.
    public static func plainHTTPFlags(reference: String, option: String = "--tls-verify") -> [String] {
        isLoopback(reference: reference) ? ["\(option)=false"] : []
    }
}
