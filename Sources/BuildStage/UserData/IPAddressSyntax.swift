#if canImport(Glibc)
import Glibc
#endif

/// IP address syntax, checked with the C library's own parser (inet_pton) rather than a regex.
enum IPAddressSyntax {
    static func isAddress(_ text: String) -> Bool { isIPv4(text) || isIPv6(text) }

    /// `10.0.0.5/24` or `fd00::5/64`: an address and a prefix length in range for its family.
    static func isCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = Int(parts[1]), prefix >= 0 else { return false }
        let address = String(parts[0])
        if isIPv4(address) { return prefix <= 32 }
        if isIPv6(address) { return prefix <= 128 }
        return false
    }

    static func isIPv4(_ text: String) -> Bool {
        var buffer = in_addr()
        return inet_pton(AF_INET, text, &buffer) == 1
    }

    static func isIPv6(_ text: String) -> Bool {
        var buffer = in6_addr()
        return inet_pton(AF_INET6, text, &buffer) == 1
    }
}
