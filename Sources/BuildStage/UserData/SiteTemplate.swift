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
        let (missing, tooLarge) = Self.preview(text, values: values)
        if tooLarge {
            throw EdgeError(.malformed, "\(file): rendering it for site '\(site)' expands too far: past \(UserDataValidator.maximumSize >> 20) MiB of user-data (which the installer ignores) or \(Self.maximumSteps) values and section items",
                            hint: "Look for sections nested over the same list, or a list far longer than intended, in the template and the sites file.")
        }
        if !missing.isEmpty {
            throw EdgeError(.malformed, "\(file): no value for \(missing.map { "'\($0)'" }.joined(separator: ", ")) for site '\(site)'",
                            hint: "Add \(missing.count == 1 ? "it" : "them") to the site's entry in the sites file.")
        }
        return Data(template.render(values).utf8)
    }

    /// Values and section items one site may render. A real template renders tens; sections nested
    /// over the same list multiply (1000 items three deep is a billion), and the preview walks
    /// each one, so this bounds its time as well as the output.
    static let maximumSteps = 100_000

    /// What rendering would do, found without rendering: the variables that would render empty for
    /// these values, in the order they appear, and whether the output would pass the installer's
    /// size limit or `maximumSteps` (the walk stops there). Sections are
    /// followed the way Mustache renders them: a section whose value is absent, false or an empty
    /// list is skipped with its contents (an optional block, like `{{#static}}` for a DHCP site);
    /// otherwise its contents are checked once per list item, or with the section's value searched
    /// before the site's own values. Inverted sections are checked only when they render.
    static func preview(_ text: String, values: [String: Any]) -> (missing: [String], tooLarge: Bool) {
        var missing: [String] = []
        var size = 0, steps = 0
        var stack = [PreviewValue(values)]
        var tooLarge: Bool { size >= UserDataValidator.maximumSize || steps > maximumSteps }
        func walk(_ nodes: [TemplateNode]) {
            for node in nodes where !tooLarge {
                switch node {
                case .text(let length):
                    size += length
                case .variable(let name):
                    let value = name == "." ? stack.last : resolve(name, in: stack)
                    steps += 1
                    if case .scalar(let length)? = value { size += length }
                    if value == nil, !missing.contains(name) { missing.append(name) }
                case .section(let name, let inverted, let children):
                    let value = name == "." ? stack.last : resolve(name, in: stack)
                    switch value {
                    case nil, .flag(false)?:
                        if inverted { walk(children) }
                    case .list(let items)? where items.isEmpty:
                        if inverted { walk(children) }
                    case _ where inverted:
                        continue
                    case .flag(true)?:
                        steps += 1
                        walk(children)
                    case .list(let items)?:
                        for item in items where !tooLarge {
                            steps += 1
                            stack.append(item)
                            walk(children)
                            stack.removeLast()
                        }
                    case let context?:
                        steps += 1
                        stack.append(context)
                        walk(children)
                        stack.removeLast()
                    }
                }
            }
        }
        walk(TemplateNode.parse(text))
        return (missing, tooLarge)
    }

    /// A dotted name (`tags.region`): its first part searched from the innermost context outwards,
    /// the rest looked up in what that found, as Mustache does.
    private static func resolve(_ name: String, in stack: [PreviewValue]) -> PreviewValue? {
        let parts = name.split(separator: ".")
        guard let head = parts.first else { return nil }
        guard var current = stack.reversed().lazy.compactMap({ $0.member(String(head)) }).first else { return nil }
        for part in parts.dropFirst() {
            guard let next = current.member(String(part)) else { return nil }
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

/// The tags of a Mustache template as a tree (sections hold their contents), text as its length;
/// comments, partials and delimiter changes are dropped. Only for the preview: rendering is the
/// engine's job.
enum TemplateNode {
    case text(Int)
    case variable(String)
    indirect case section(String, inverted: Bool, [TemplateNode])

    private static let tag = try! NSRegularExpression(pattern: #"\{\{(\{?)\s*([#^/&!>%=$<]?)\s*([^}]*?)\s*\}?\}\}"#)

    static func parse(_ text: String) -> [TemplateNode] {
        // Open sections: name, inverted, the nodes collected so far.
        var open: [(name: String, inverted: Bool, nodes: [TemplateNode])] = [("", false, [])]
        var textStart = 0
        for match in tag.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            open[open.count - 1].nodes.append(.text(match.range.location - textStart))
            textStart = NSMaxRange(match.range)
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
        open[open.count - 1].nodes.append(.text((text as NSString).length - textStart))
        // Unclosed sections (the engine refuses those anyway): keep their contents checked.
        while open.count > 1 {
            let closed = open.removeLast()
            open[open.count - 1].nodes.append(.section(closed.name, inverted: closed.inverted, closed.nodes))
        }
        return open[0].nodes
    }
}

/// Site values as the preview walks them, converted once: casting `Any` on every visit made a
/// long list cost seconds. Scalars keep only their rendered length.
enum PreviewValue {
    case scalar(Int)
    case flag(Bool)
    case map([String: PreviewValue])
    case list([PreviewValue])

    init(_ value: Any) {
        switch value {
        case let bool as Bool: self = .flag(bool)
        case let map as [String: Any]: self = .map(map.mapValues(PreviewValue.init))
        case let list as [Any]: self = .list(list.map(PreviewValue.init))
        default: self = .scalar(String(describing: value).utf8.count)
        }
    }

    func member(_ name: String) -> PreviewValue? {
        if case .map(let map) = self { return map[name] }
        return nil
    }
}
