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
            throw SiteCatalogError(message: "\(file) is not UTF-8 text")
        }
        self.text = text
        self.file = file
    }

    public func render(site: String, values: [String: Any]) throws -> Data {
        let missing = Self.variables(in: text).filter { Self.lookup($0, in: values) == nil }
        if !missing.isEmpty {
            throw SiteCatalogError(
                message: "\(file): no value for \(missing.map { "'\($0)'" }.joined(separator: ", ")) for site '\(site)'",
                hint: "Add \(missing.count == 1 ? "it" : "them") to the site's entry in the sites file.")
        }
        let template: MustacheTemplate
        do {
            template = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)
        } catch {
            throw SiteCatalogError(message: "\(file) is not a valid Mustache template: \(error)")
        }
        return Data(template.render(values).utf8)
    }

    /// The names of the variables used outside any section, where only the site's own values can
    /// fill them. Inside a section the section's value is searched first, so those are not checked.
    static func variables(in text: String) -> [String] {
        let tag = try! NSRegularExpression(pattern: #"\{\{(\{?)\s*([#^/&!>%=]?)\s*([^}]*?)\s*\}?\}\}"#)
        var depth = 0
        var names: [String] = []
        for match in tag.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let kindRange = Range(match.range(at: 2), in: text), let nameRange = Range(match.range(at: 3), in: text) else { continue }
            let name = String(text[nameRange])
            switch text[kindRange] {
            case "#", "^": depth += 1
            case "/": depth = max(0, depth - 1)
            case "!", ">", "%", "=": continue
            default:
                if depth == 0, name != ".", !names.contains(name) { names.append(name) }
            }
        }
        return names
    }

    /// A dotted name (`tags.region`) looked up the way Mustache does.
    static func lookup(_ name: String, in values: [String: Any]) -> Any? {
        var current: Any? = values
        for part in name.split(separator: ".") {
            current = (current as? [String: Any])?[String(part)]
        }
        return current
    }
}
