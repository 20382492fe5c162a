import EdgeCore

/// A failed skopeo (or umoci) run said as one line: the message of its fatal log line (not its
/// log noise), and the exit code the failure means. Pure.
enum ImageToolFailure {
    /// `time=... level=fatal msg="Error parsing image name \"docker://...\": pinging container
    /// registry ...: connect: connection refused"` → `pinging container registry ...: connect:
    /// connection refused`; the last non-empty line when no fatal line is there.
    static func essentialLine(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").map(String.init)
        guard let fatal = lines.last(where: { $0.contains("level=fatal") }),
              let start = fatal.range(of: "msg=\"") else {
            return lines.last { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
        }
        var message = "", escaped = false
        for character in fatal[start.upperBound...] {
            if escaped { message.append(character); escaped = false }
            else if character == "\\" { escaped = true }
            else if character == "\"" { break }
            else { message.append(character) }
        }
        // The wrappers repeat the source the error is already about.
        for wrapper in [#"Error parsing image name ""#, #"initializing source ""#] {
            if message.hasPrefix(wrapper), let end = message.range(of: #"": "#) {
                message = String(message[end.upperBound...])
            }
        }
        // "manifest unknown: manifest unknown": the registry's code and message, said once.
        var parts: [Substring] = []
        for part in message.split(separator: ": ", omittingEmptySubsequences: false) where part != parts.last { parts.append(part) }
        return parts.joined(separator: ": ")
    }

    /// Disk full while copying or unpacking: an I/O error, whichever tool met it.
    static func diskFull(_ line: String, source: ImageSourceReference) -> EdgeError? {
        guard line.lowercased().contains("no space left on device") else { return nil }
        return EdgeError(.io, "no space left to unpack \(source): \(line)",
                         hint: "free space in the --output directory (the scratch directory is inside it) or choose another --output")
    }

    /// The error for `source` when `skopeo VERB` failed with `stderr`.
    static func error(_ stderr: String, verb: String, source: ImageSourceReference, architecture: String) -> EdgeError {
        let line = essentialLine(stderr)
        if let full = diskFull(line, source: source) { return full }
        let lower = line.lowercased()
        func says(_ phrases: String...) -> Bool { phrases.contains { lower.contains($0) } }
        if says("no image found in manifest list", "no image found in image index", "no matching manifest") {
            return EdgeError(.malformed, "\(source) has no image for linux/\(architecture): \(line)",
                             hint: "use an image built for \(architecture), or build for the architecture the image has (ARCH)")
        }
        if says("unauthorized", "authentication required", "denied", "forbidden") {
            return EdgeError(.refused, "the registry refused \(source): \(line)",
                             hint: "log in first (podman login, skopeo login or docker login): edgeflash passes no credentials and reads the engines' auth files")
        }
        if says("manifest unknown", "name unknown", "no descriptor found", "no such file or directory", "not found") {
            return EdgeError(.malformed, "\(source) not found: \(line)", hint: "check the name and tag (or path) of the image")
        }
        if says("x509:", "tls:", "certificate", "server gave http response to https client") {
            return EdgeError(.io, "cannot reach \(source) over TLS: \(line)",
                             hint: "trust the registry's CA certificate (/etc/containers/certs.d/HOST/ca.crt), or mark the registry insecure in containers' registries.conf ([[registry]] location=\"HOST\" insecure=true); loopback registries use plain HTTP already")
        }
        if says("connection refused", "no such host", "i/o timeout", "network is unreachable", "no route to host",
                "connection reset", "timeout", "pinging container registry") {
            return EdgeError(.io, "cannot reach the registry of \(source): \(line)",
                             hint: "check that the registry is up and its address is right")
        }
        return EdgeError(.failure, "skopeo \(verb) \(source) failed: \(line.isEmpty ? "no message" : line)")
    }
}
