/// A Dockerfile as its instructions, each with the physical lines it spans: continuation lines
/// (a trailing `\`) joined, comment lines inside them dropped, as Docker reads them. Pure.
public struct DockerfileInstruction: Sendable, Equatable {
    /// `RUN`, `COPY`... upper-cased.
    public var keyword: String
    /// Everything after the keyword, continuation lines joined with a space.
    public var arguments: String
    /// 1-based line of the keyword.
    public var line: Int
    /// Each piece of `arguments` and the line it came from, to point at the exact line of a word.
    var pieces: [(offset: Int, line: Int)]

    public static func == (a: Self, b: Self) -> Bool {
        a.keyword == b.keyword && a.arguments == b.arguments && a.line == b.line
    }

    /// The physical line holding the character at `offset` of `arguments`.
    func line(at offset: Int) -> Int {
        pieces.last { $0.offset <= offset }?.line ?? line
    }

    /// `KEYWORD arguments` with every run of whitespace made one space: the same instruction
    /// however it is wrapped or indented.
    public var normalized: String {
        (keyword + " " + arguments).split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// Reads every instruction; the comment lines between instructions are returned apart, with
    /// their lines, for markers such as CanvOS's customization line.
    public static func parse(_ text: String) -> (instructions: [DockerfileInstruction], comments: [(line: Int, text: String)]) {
        var instructions: [DockerfileInstruction] = []
        var comments: [(line: Int, text: String)] = []
        var current: DockerfileInstruction?
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            let trimmed = raw.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("#") {
                if current == nil { comments.append((number, String(trimmed))) }
                continue
            }
            var body = String(trimmed)
            while body.last == " " || body.last == "\t" || body.last == "\r" { body.removeLast() }
            let continues = body.hasSuffix("\\")
            if continues { body.removeLast() }
            if var instruction = current {
                if !body.isEmpty {
                    if !instruction.arguments.isEmpty { instruction.arguments += " " }
                    instruction.pieces.append((instruction.arguments.count, number))
                    instruction.arguments += body
                }
                current = instruction
            } else if !body.isEmpty {
                let keyword = body.prefix { !($0 == " " || $0 == "\t") }
                let rest = String(body.dropFirst(keyword.count).drop { $0 == " " || $0 == "\t" })
                current = DockerfileInstruction(keyword: keyword.uppercased(), arguments: rest, line: number,
                                                pieces: [(0, number)])
            }
            if !continues, let instruction = current {
                instructions.append(instruction)
                current = nil
            }
        }
        if let current { instructions.append(current) }
        return (instructions, comments)
    }
}
