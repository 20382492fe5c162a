/// One thing that happened while building images: a progress line, or a `--json` event.
public struct ImageEvent: Sendable, Encodable, Equatable {
    public enum Kind: String, Sendable, Encodable {
        case isolation, pulling, probed, building, built, pushing, pushed, failed
    }

    public var event: Kind
    public var reference: String?
    public var message: String?
    public var digest: String?
    /// The full log of the failed step (failed events).
    public var log: String?
    /// Its last lines (failed events), scrubbed of proxy passwords.
    public var logTail: [String]?

    public init(_ event: Kind, reference: String? = nil, message: String? = nil, digest: String? = nil,
                log: String? = nil, logTail: [String]? = nil) {
        self.event = event
        self.reference = reference
        self.message = message
        self.digest = digest
        self.log = log
        self.logTail = logTail
    }
}
