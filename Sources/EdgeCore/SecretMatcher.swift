/// Finds every occurrence of many secrets in one pass over a text's UTF-8 bytes (Aho-Corasick), so
/// scrubbing costs what the text costs however many secrets a file holds: replacing them one at a
/// time went over the whole text once per secret.
struct SecretMatcher {
    /// The trie of all secrets: `next[state][byte]`, `fail[state]` (the longest proper suffix of
    /// the state's bytes that is also a trie state), and the longest secret ending at each state.
    private var next: [[UInt8: Int]] = [[:]]
    private var fail: [Int] = [0]
    private var longest: [Int] = [0]

    init(_ secrets: some Sequence<String>) {
        for secret in secrets where !secret.isEmpty {
            var state = 0
            for byte in secret.utf8 {
                if let child = next[state][byte] {
                    state = child
                } else {
                    next.append([:]); fail.append(0); longest.append(0)
                    next[state][byte] = next.count - 1
                    state = next.count - 1
                }
            }
            longest[state] = max(longest[state], secret.utf8.count)
        }
        // Breadth first, so a state's failure link is known before its children's.
        var queue = Array(next[0].values), head = 0
        while head < queue.count {
            let state = queue[head]; head += 1
            for (byte, child) in next[state] {
                var candidate = fail[state]
                while candidate != 0 && next[candidate][byte] == nil { candidate = fail[candidate] }
                fail[child] = next[candidate][byte] ?? 0
                longest[child] = max(longest[child], longest[fail[child]])
                queue.append(child)
            }
        }
    }

    /// `text` with every byte that belongs to an occurrence of a secret covered by `placeholder`,
    /// overlapping and adjacent occurrences as one. Secrets are valid UTF-8 and so is the text,
    /// so every occurrence starts and ends on a character boundary.
    func replacingOccurrences(in text: String, with placeholder: String) -> String {
        let bytes = Array(text.utf8)
        var covered: [Range<Int>] = []
        var state = 0
        for (index, byte) in bytes.enumerated() {
            while state != 0 && next[state][byte] == nil { state = fail[state] }
            state = next[state][byte] ?? 0
            guard longest[state] > 0 else { continue }
            // Matches end in order; a long one may swallow several earlier spans.
            var match = index + 1 - longest[state]..<index + 1
            while let last = covered.last, match.lowerBound <= last.upperBound {
                match = min(last.lowerBound, match.lowerBound)..<match.upperBound
                covered.removeLast()
            }
            covered.append(match)
        }
        guard !covered.isEmpty else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var position = 0
        for span in covered {
            output += bytes[position..<span.lowerBound]
            output += placeholder.utf8
            position = span.upperBound
        }
        output += bytes[position...]
        return String(decoding: output, as: UTF8.self)
    }
}
