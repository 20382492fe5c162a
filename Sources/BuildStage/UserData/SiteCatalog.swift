import EdgeCore
import Foundation
import Yams

/// The per-site values of a batch (`--sites sites.yaml` or `sites.csv`), one entry per site name.
///
/// YAML: a list of mappings each with `name`, the same list under `sites:`, or a mapping from site
/// name to its values. CSV: a header row with a `name` column; dotted headers (`tags.region`) nest.
public struct SiteCatalog {
    public let file: String
    /// Site name -> values, as the template engine sees them (strings, Bools, nested maps and lists).
    public let sites: [String: [String: Any]]
    /// Site names in the order the file lists them: `--next` hands sites out in this order.
    public let order: [String]
    /// Where each site is in the file: "row 4" (CSV) or "line 12" (YAML).
    public let entries: [String: String]
    public var names: [String] { sites.keys.sorted() }

    public init(data: Data, file: String) throws {
        self.file = file
        guard let text = String(data: data, encoding: .utf8) else {
            throw EdgeError(.malformed, "\(file) is not UTF-8 text")
        }
        let entries = file.lowercased().hasSuffix(".csv") ? try Self.parseCSV(text, file: file) : try Self.parseYAML(text, file: file)
        var sites: [String: [String: Any]] = [:]
        for (name, values, _) in entries {
            // A second entry would silently replace the first: a stick could get the wrong site.
            guard sites.updateValue(values, forKey: name) == nil else {
                throw EdgeError(.malformed, "\(file): site '\(name)' is listed twice")
            }
        }
        self.sites = sites
        order = entries.map(\.name)
        self.entries = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.entry) })
    }

    /// The values of one site; the error lists the names that exist.
    public func values(for name: String) throws -> [String: Any] {
        if let values = sites[name] { return values }
        throw EdgeError(.malformed, "site '\(name)' is not in \(file)",
                        hint: "Sites in the file: \(names.joined(separator: ", "))")
    }

    typealias Entry = (name: String, values: [String: Any], entry: String)

    private static func parseYAML(_ text: String, file: String) throws -> [Entry] {
        if let bomb = YAMLScan(text).aliasLimitExceeded {
            throw EdgeError(.malformed, "\(file):\(bomb.line): \(bomb.message)")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw EdgeError(.malformed, "\(file) is not valid YAML")
        }
        var list: [Node] = []
        if let sequence = root?.sequence {
            list = Array(sequence)
        } else if let mapping = root?.mapping, let sequence = mapping["sites"]?.sequence {
            list = Array(sequence)
        } else if let mapping = root?.mapping {
            var result: [Entry] = []
            for (key, value) in mapping {
                guard let name = key.string, var values = templateValue(value) as? [String: Any] else {
                    throw EdgeError(.malformed, "\(file): each site must be a mapping of values")
                }
                values["name"] = values["name"] ?? name
                result.append((name, values, "line \(key.mark?.line ?? 0)"))
            }
            return result
        }
        var result: [Entry] = []
        for item in list {
            guard let values = templateValue(item) as? [String: Any], let name = values["name"] as? String else {
                throw EdgeError(.malformed, "\(file): line \(item.mark?.line ?? 0): each site needs a 'name'")
            }
            result.append((name, values, "line \(item.mark?.line ?? 0)"))
        }
        return result
    }

    /// YAML nodes as the values Mustache renders: scalars keep their text, booleans stay Bool so
    /// `{{#flag}}` sections work.
    static func templateValue(_ node: Node) -> Any {
        switch node {
        case .scalar(let scalar):
            if node.tag.rawValue == Tag.Name.bool.rawValue, let bool = node.bool { return bool }
            return scalar.string
        case .mapping(let mapping):
            var result: [String: Any] = [:]
            for (key, value) in mapping { result[key.string ?? ""] = templateValue(value) }
            return result
        case .sequence(let sequence):
            return sequence.map(templateValue)
        case .alias:
            return ""
        }
    }

    private static func parseCSV(_ text: String, file: String) throws -> [Entry] {
        let rows = CSVRows.parse(text)
        guard let header = rows.first, let nameColumn = header.firstIndex(of: "name") ?? header.firstIndex(of: "site") else {
            throw EdgeError(.malformed, "\(file) needs a header row with a 'name' column")
        }
        var result: [Entry] = []
        for (index, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            guard row.count == header.count else {
                throw EdgeError(.malformed, "\(file): row \(index + 2) has \(row.count) fields, the header has \(header.count)")
            }
            var values: [String: Any] = [:]
            for (column, field) in zip(header, row) where !field.isEmpty {
                insert(field, at: column.split(separator: ".").map(String.init), into: &values)
            }
            values["name"] = row[nameColumn]
            result.append((row[nameColumn], values, "row \(index + 2)"))
        }
        return result
    }

    private static func insert(_ value: String, at path: [String], into values: inout [String: Any]) {
        guard let first = path.first else { return }
        if path.count == 1 { values[first] = value; return }
        var child = values[first] as? [String: Any] ?? [:]
        insert(value, at: Array(path.dropFirst()), into: &child)
        values[first] = child
    }
}
