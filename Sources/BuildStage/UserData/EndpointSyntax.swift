import Foundation

/// What `stylus.site.paletteEndpoint` may be: the agent puts it after `https://`, so a host name
/// (RFC 1123 labels), an IPv4 address or an IPv6 one in brackets, with an optional port (a
/// self-hosted Palette may listen on another port than 443); nothing else of a URL.
enum EndpointSyntax {
    /// Why `text` is not such an endpoint, pointing at the character or the label; nil when it is one.
    static func problem(_ text: String) -> String? {
        if text.isEmpty { return "it is empty" }
        if let scheme = text.range(of: "://") {
            return "it starts with a scheme ('\(text[..<scheme.upperBound])'): give the host name alone"
        }
        if let (position, character) = text.enumerated().first(where: { !allowed.contains($0.element) }) {
            let why = character == "/" ? "a path is not part of a host name"
                : "a host name has only letters, digits, hyphens and dots"
                + (character.isASCII ? "" : " (one in another script is given in its punycode, xn--, form)")
            return "character \(position + 1) is \(describe(character)): \(why)"
        }
        var host = Substring(text)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return "'[' opens an IPv6 address that no ']' closes" }
            let address = host[host.index(after: host.startIndex)..<close]
            guard IPAddressSyntax.isIPv6(String(address)) else { return "'\(address)' in brackets is not an IPv6 address" }
            let rest = host[host.index(after: close)...]
            if rest.isEmpty { return nil }
            guard rest.first == ":" else { return "only ':port' may follow ']'" }
            return portProblem(rest.dropFirst())
        }
        if host.filter({ $0 == ":" }).count > 1, IPAddressSyntax.isIPv6(String(host)) {
            return "an IPv6 address goes in brackets: [\(host)]"
        }
        if let colon = host.firstIndex(of: ":") {
            if let problem = portProblem(host[host.index(after: colon)...]) { return problem }
            host = host[..<colon]
        }
        if host.contains("[") || host.contains("]") { return "brackets are only for an IPv6 address: [fd00::1]" }
        return hostNameProblem(host)
    }

    private static func hostNameProblem(_ host: Substring) -> String? {
        if host.isEmpty { return "the host name before ':' is empty" }
        if host.utf8.count > 253 { return "the host name is \(host.utf8.count) characters; at most 253" }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for (index, label) in labels.enumerated() {
            let which = "label \(index + 1)"
            if label.isEmpty {
                return index == 0 ? "it starts with a dot"
                    : index == labels.count - 1 ? "it ends with a dot"
                    : "it has two dots in a row (\(which) is empty)"
            }
            if label.utf8.count > 63 { return "\(which) is \(label.utf8.count) characters; at most 63" }
            if label.hasPrefix("-") { return "\(which) ('\(label)') starts with a hyphen" }
            if label.hasSuffix("-") { return "\(which) ('\(label)') ends with a hyphen" }
        }
        // All digits and dots reads as an address, so it must be one (10.0.0.256 is not).
        if host.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), !IPAddressSyntax.isIPv4(String(host)) {
            return "it looks like an IPv4 address but is not one"
        }
        return nil
    }

    private static func portProblem(_ port: Substring) -> String? {
        guard let number = Int(port), port.allSatisfy(\.isASCII), (1...65535).contains(number) else {
            return "the port after ':' ('\(port)') is not a number from 1 to 65535"
        }
        return nil
    }

    private static let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:[]")

    private static func describe(_ character: Character) -> String {
        if character == " " { return "a space" }
        if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
           scalar.properties.generalCategory == .control || scalar.properties.isWhitespace {
            return String(format: "U+%04X", scalar.value)
        }
        return "'\(character)'"
    }
}
