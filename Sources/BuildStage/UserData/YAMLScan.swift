// libyaml's event API. Yams bundles libyaml as its CYaml module; its composer resolves aliases into
// shared nodes, which every later walk (and its duplicate-key hashing) expands again, and it has
// no limit. One pass over the events here costs what the text costs, whatever the aliases do.
import CYaml

/// One pass over a YAML document's parser events, before anything composes it: how much its aliases
/// would expand it, and which scalars hold secrets (values under a secret key, wherever an alias
/// takes them, and private keys anywhere).
struct YAMLScan {
    /// Nodes that aliases may add to a document, counting an alias as the whole node it repeats.
    /// Legitimate files (an anchor for shared tags or defaults, repeated across sites) add a few
    /// per site; the 579-byte "billion laughs" adds 9^9. A million keeps every later walk of the
    /// document (validation, template values) well under a second.
    static let aliasExpansionLimit = 1_000_000

    /// Where aliases passed `aliasExpansionLimit` (1-based line and column of the alias).
    struct AliasLimitExceeded: Sendable, Equatable {
        var line: Int
        var column: Int
        var message: String {
            "YAML aliases expand the document past \(YAMLScan.aliasExpansionLimit) nodes at this alias (an alias bomb?); refused"
        }
    }

    struct Scalar {
        var value: String
        var startLine: Int, startColumn: Int, endLine: Int, endColumn: Int
        var secret: Bool
    }

    private(set) var scalars: [Scalar] = []
    private(set) var aliasLimitExceeded: AliasLimitExceeded?

    /// A collection being read, and what it adds up to so far.
    private struct Frame {
        var isMapping: Bool
        var secret: Bool
        var anchor: String?
        var firstScalar: Int
        var firstAlias: Int
        var expectingKey = true
        var valueIsSecret = false
        var nodes = 1
    }

    /// An anchored node: its expanded size, its own scalars and the aliases inside it (ranges of
    /// `scalars` and `aliasTargets`: a node's events are contiguous).
    private struct Anchored {
        var nodes: Int
        var scalars: Range<Int>
        var aliases: Range<Int>
    }

    private var frames: [Frame] = []
    private var anchored: [Anchored] = []
    private var anchorNames: [String: Int] = [:]
    /// The anchored node of each alias, in document order.
    private var aliasTargets: [Int] = []
    /// Anchors already marked secret (marking is for good, so each is walked once).
    private var markedSecret: Set<Int> = []
    private var aliasNodes = 0

    /// Scans `text`; stops at the first syntax error (what was read until then is kept) or when
    /// aliases pass the limit.
    init(_ text: String) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while aliasLimitExceeded == nil, yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                handle(event)
            }
        }
    }

    private mutating func handle(_ event: yaml_event_t) {
        let start = event.start_mark, end = event.end_mark
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            frames = []; anchored = []; anchorNames = [:]; aliasTargets = []; markedSecret = []
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let value = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
            let index = scalars.count
            scalars.append(Scalar(value: value, startLine: Int(start.line), startColumn: Int(start.column),
                                  endLine: Int(end.line), endColumn: Int(end.column),
                                  secret: positionIsSecret || value.contains("PRIVATE KEY-----")))
            if let anchor = Self.string(data.anchor) {
                define(anchor, Anchored(nodes: 1, scalars: index..<index + 1, aliases: aliasTargets.count..<aliasTargets.count))
            }
            completed(nodes: 1, key: value)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let anchor = Self.string(isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor)
            frames.append(Frame(isMapping: isMapping, secret: positionIsSecret, anchor: anchor,
                                firstScalar: scalars.count, firstAlias: aliasTargets.count))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = frames.popLast() else { return }
            if let anchor = frame.anchor {
                define(anchor, Anchored(nodes: frame.nodes, scalars: frame.firstScalar..<scalars.count,
                                        aliases: frame.firstAlias..<aliasTargets.count))
            }
            completed(nodes: frame.nodes, key: nil)
        case YAML_ALIAS_EVENT:
            // An alias to an anchor not (yet) defined is the composer's error to report.
            guard let name = Self.string(event.data.alias.anchor), let target = anchorNames[name] else { return }
            let nodes = anchored[target].nodes
            aliasNodes += nodes
            if aliasNodes > Self.aliasExpansionLimit {
                aliasLimitExceeded = AliasLimitExceeded(line: Int(start.line) + 1, column: Int(start.column) + 1)
                return
            }
            aliasTargets.append(target)
            if positionIsSecret { markSecret(target) }
            completed(nodes: nodes, key: nil)
        default:
            break
        }
    }

    /// Whether the node starting now is a value under a secret key, or inside one. Keys never are:
    /// `username` under `registryCredentials` is a name, not a secret.
    private var positionIsSecret: Bool {
        guard let top = frames.last else { return false }
        if top.isMapping { return !top.expectingKey && (top.secret || top.valueIsSecret) }
        return top.secret
    }

    /// A node ended: it counts in its parent, and a mapping's key decides whether its value is secret.
    private mutating func completed(nodes: Int, key: String?) {
        guard !frames.isEmpty else { return }
        frames[frames.count - 1].nodes += nodes
        if frames[frames.count - 1].isMapping {
            if frames[frames.count - 1].expectingKey {
                frames[frames.count - 1].valueIsSecret = key.map(UserDataRedactor.isSecretKey) ?? false
            }
            frames[frames.count - 1].expectingKey.toggle()
        }
    }

    private mutating func define(_ name: String, _ node: Anchored) {
        anchorNames[name] = anchored.count
        anchored.append(node)
    }

    /// An anchored node repeated under a secret key: its scalars, and those of the anchors it
    /// repeats, are secrets where they were written too.
    private mutating func markSecret(_ target: Int) {
        var pending = [target]
        while let next = pending.popLast() {
            guard markedSecret.insert(next).inserted else { continue }
            for index in anchored[next].scalars { scalars[index].secret = true }
            pending += aliasTargets[anchored[next].aliases]
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
