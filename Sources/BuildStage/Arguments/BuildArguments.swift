import EdgeCore
import Foundation

/// The build arguments after defaults: every value knows the line it came from (nil for a default),
/// so a later problem can still point at the file and line.
public struct BuildArguments: Sendable {
    public struct Value: Sendable, Equatable {
        public var value: String
        public var line: Int?
    }

    public var file: String
    public var values: [String: Value]

    public init(_ argFile: ArgFile, peVersionOverride: String? = nil) {
        file = argFile.file
        var values: [String: Value] = [:]
        for (key, value) in KnownArguments.defaults.merging(KnownArguments.canvosPins, uniquingKeysWith: { $1 }) {
            values[key] = Value(value: value, line: nil)
        }
        for entry in argFile.entries { values[entry.key] = Value(value: entry.value, line: entry.line) }
        // IMAGE_REPO defaults to the OS distribution, OS_VERSION to 22 for ubuntu (the template's).
        if values["IMAGE_REPO"] == nil, let os = values["OS_DISTRIBUTION"] { values["IMAGE_REPO"] = Value(value: os.value, line: nil) }
        if values["OS_VERSION"] == nil, values["OS_DISTRIBUTION"]?.value == "ubuntu" { values["OS_VERSION"] = Value(value: "22", line: nil) }
        if values["KAIROS_BASE_IMAGE_URL"] == nil, let root = values["SPECTRO_PUB_REPO"] {
            values["KAIROS_BASE_IMAGE_URL"] = Value(value: root.value + "/edge", line: nil)
        }
        if let peVersionOverride { values["PE_VERSION"] = Value(value: peVersionOverride, line: nil) }
        self.values = values
    }

    public subscript(key: String) -> String { values[key]?.value ?? "" }
    public func line(_ key: String) -> Int? { values[key]?.line }
    /// Set and not empty.
    public func has(_ key: String) -> Bool { !self[key].isEmpty }

    public var customTag: String { self["CUSTOM_TAG"] }
    public var imageRegistry: String { self["IMAGE_REGISTRY"] }
    public var imageRepo: String { self["IMAGE_REPO"] }
    public var osDistribution: String { self["OS_DISTRIBUTION"] }
    public var osVersion: String { self["OS_VERSION"] }
    public var k8sDistribution: String { self["K8S_DISTRIBUTION"] }
    public var k8sVersion: String? { has("K8S_VERSION") ? self["K8S_VERSION"] : nil }
    public var isoName: String { self["ISO_NAME"] }
    public var arch: String { self["ARCH"] }
    public var peVersion: String { self["PE_VERSION"] }
}

extension BuildArguments {
    /// Scrubs the proxy passwords HTTP_PROXY and HTTPS_PROXY carry, for build logs shown to the user.
    public var proxyScrubber: SecretScrubber {
        SecretScrubber(secrets: ["HTTP_PROXY", "HTTPS_PROXY"].compactMap { URLComponents(string: self[$0])?.password })
    }
}
