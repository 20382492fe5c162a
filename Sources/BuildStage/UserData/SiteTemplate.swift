import EdgeCore
import Foundation
import Mustache

/// A user-data template rendered with one site's values (Mustache, plain text: nothing is
/// HTML-escaped). A placeholder that resolves to nothing is an error naming it, never an empty value
/// in a stick's user-data.
public struct SiteTemplate {
    public let file: String
    private let text: String

    public init(data: Data, file: String) throws {
        guard let text = String(data: data, encoding: .utf8) else {
            throw EdgeError(.malformed, "\(file) is not UTF-8 text")
        }
        self.text = text
        self.file = file
    }

    public func render(site: String, values: [String: Any]) throws -> Data {
        let template: MustacheTemplate
        do {
            template = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)
        } catch {
            throw EdgeError(.malformed, "\(file) is not a valid Mustache template: \(error)")
        }
        let missing = Self.missingVariables(in: text, values: values)
        if !missing.isEmpty {
            throw EdgeError(.malformed, "\(file): no value for \(missing.map { "'\($0)'" }.joined(separator: ", ")) for site '\(site)'",
                            hint: "Add \(missing.count == 1 ? "it" : "them") to the site's entry in the sites file.")
        }
        return Data(template.render(values).utf8)
    }

    /// The variables that would render empty for these values, in the order they appear. Sections
    /// are followed the way Mustache renders them: a section whose value is absent, false or an empty
    /// list is skipped with its contents (an optional block, like `{{#static}}` for a DHCP site);
    /// otherwise its contents are checked once per list item, or with the section's value searched
    /// before the site's own values. Inverted sections are checked only when they render.
    static func missingVariables(in text: String, values: [String: Any]) -> [String] {
        var missing: [String] = []
        func walk(_ nodes: [TemplateNode], _ stack: [Any]) {
            for node in nodes {
                switch node {
                case .variable(let name):
                    if name != ".", resolve(name, in: stack) == nil, !missing.contains(name) { missing.append(name) }
                case .section(let name, let inverted, let children):
                    let value = name == "." ? stack.last : resolve(name, in: stack)
                    let items = value.map(truthyContexts) ?? []
                    if inverted {
                        if items.isEmpty { walk(children, stack) }
                    } else {
                        for item in items { walk(children, item.map { stack + [$0] } ?? stack) }
                    }
                }
            }
        }
        walk(TemplateNode.parse(text), [values])
        return missing
    }

    /// The contexts a section's value renders its contents with: none when it is false or an empty
    /// list, one per item for a list, the same context (nil) for true, the value itself otherwise.
    private static func truthyContexts(_ value: Any) -> [Any?] {
        switch value {
        case let bool as Bool: return bool ? [nil] : []
        case let list as [Any]: return list.map { $0 }
        default: return [value]
        }
    }

    /// A dotted name (`tags.region`): its first part searched from the innermost context outwards,
    /// the rest looked up in what that found, as Mustache does.
    static func resolve(_ name: String, in stack: [Any]) -> Any? {
        let parts = name.split(separator: ".").map(String.init)
        guard let head = parts.first else { return nil }
        guard var current = stack.reversed().lazy.compactMap({ ($0 as? [String: Any])?[head] }).first else { return nil }
        for part in parts.dropFirst() {
            guard let next = (current as? [String: Any])?[part] else { return nil }
            current = next
        }
        return current
    }

    /// The variables used outside any section (kept for callers that only need the names).
    static func variables(in text: String) -> [String] {
        TemplateNode.parse(text).compactMap {
            if case .variable(let name) = $0, name != "." { return name }
            return nil
        }.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }
}

/// The tags of a Mustache template as a tree (sections hold their contents); text, comments,
/// partials and delimiter changes are dropped. Only for the missing-value check: rendering is the
/// engine's job.
enum TemplateNode {
    case variable(String)
    indirect case section(String, inverted: Bool, [TemplateNode])

    private static let tag = try! NSRegularExpression(pattern: #"\{\{(\{?)\s*([#^/&!>%=$<]?)\s*([^}]*?)\s*\}?\}\}"#)

    static func parse(_ text: String) -> [TemplateNode] {
        // Open sections: name, inverted, the nodes collected so far.
        var open: [(name: String, inverted: Bool, nodes: [TemplateNode])] = [("", false, [])]
        for match in tag.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let kindRange = Range(match.range(at: 2), in: text), let nameRange = Range(match.range(at: 3), in: text) else { continue }
            let name = String(text[nameRange])
            switch text[kindRange] {
            case "#", "^": open.append((name, text[kindRange] == "^", []))
            // Blocks and parents (template inheritance) render their contents in the same context.
            case "$", "<": open.append((".", false, []))
            case "/":
                guard open.count > 1 else { continue }
                let closed = open.removeLast()
                open[open.count - 1].nodes.append(.section(closed.name, inverted: closed.inverted, closed.nodes))
            case "!", ">", "%", "=": continue
            default: open[open.count - 1].nodes.append(.variable(name))
            }
        }
        // Unclosed sections (the engine refuses those anyway): keep their contents checked.
        while open.count > 1 {
            let closed = open.removeLast()
            open[open.count - 1].nodes.append(.section(closed.name, inverted: closed.inverted, closed.nodes))
        }
        return open[0].nodes
    }
}
