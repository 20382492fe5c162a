/// Levenshtein distance, to suggest the argument a typo meant ("did you mean K8S_VERSION?").
enum EditDistance {
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The closest of `candidates` to `word`, ignoring case, if it is close enough to be a typo.
    static func suggestion(for word: String, among candidates: [String]) -> String? {
        let upper = word.uppercased()
        let scored = candidates.map { ($0, between(upper, $0.uppercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= Swift.max(2, word.count / 4) ? best.0 : nil
    }
}
