import Foundation

/// Package manager commands in a RUN that would ask "Continue? [y/N]": with no terminal in a build,
/// the answer is no and the build fails. Reads the shell text word by word (quotes kept together,
/// `&&`, `||`, `;`, `|` and parentheses ending a command); variables and functions are not followed.
enum PromptingInstall {
    struct Found: Equatable {
        /// `apt-get install`, `zypper install`...
        var command: String
        /// What would answer the prompt: `-y`, `--non-interactive`.
        var answer: String
        var line: Int
    }

    static func find(in instruction: DockerfileInstruction) -> [Found] {
        commands(instruction).compactMap { words, offset in
            check(words).map { Found(command: $0.command, answer: $0.answer, line: instruction.line(at: offset)) }
        }
    }

    /// apt-get/apt, zypper, yum/dnf: the prompting subcommands, and whether an answer is given.
    static func check(_ allWords: [String]) -> (command: String, answer: String)? {
        var words = allWords[...]
        while let first = words.first, first.contains("=") && !first.hasPrefix("-") || ["sudo", "env", "nohup"].contains(first) {
            words = words.dropFirst()
        }
        guard let tool = words.first.map({ ($0 as NSString).lastPathComponent }) else { return nil }
        let rest = Array(words.dropFirst())
        let shortCluster = { (word: String, letter: Character) in
            word.hasPrefix("-") && !word.hasPrefix("--") && word.dropFirst().allSatisfy(\.isLetter) && word.contains(letter)
        }
        switch tool {
        case "apt-get", "apt":
            let prompting: Set = ["install", "upgrade", "dist-upgrade", "full-upgrade", "remove", "purge", "autoremove", "build-dep", "reinstall"]
            guard let sub = subcommand(rest, valued: ["-o", "-c", "-t", "--option", "--config-file", "--target-release"]),
                  prompting.contains(sub) else { return nil }
            let answered = rest.contains { word in
                ["--yes", "--assume-yes", "-qq", "-q=2", "--quiet=2", "--force-yes"].contains(word) || shortCluster(word, "y")
                    || word.contains("Assume-Yes=true") || word.contains("Assume-Yes=1")
            }
            return answered ? nil : ("\(tool) \(sub)", "-y")
        case "zypper":
            let prompting: Set = ["install", "in", "remove", "rm", "update", "up", "dist-upgrade", "dup", "patch", "source-install", "si"]
            guard let index = rest.firstIndex(where: { !$0.hasPrefix("-") }), prompting.contains(rest[index]) else { return nil }
            let global = rest[..<index], local = rest[index...]
            let answered = global.contains { $0 == "--non-interactive" || shortCluster($0, "n") }
                || local.contains { $0 == "--no-confirm" || $0 == "-y" }
            return answered ? nil : ("zypper \(rest[index])", "--non-interactive")
        case "yum", "dnf":
            let prompting: Set = ["install", "remove", "erase", "update", "upgrade", "groupinstall", "reinstall", "downgrade", "autoremove", "distro-sync", "group", "module"]
            guard let sub = subcommand(rest, valued: ["--setopt", "--enablerepo", "--disablerepo", "-c", "--config", "--releasever", "--installroot"]),
                  prompting.contains(sub) else { return nil }
            let answered = rest.contains { $0 == "--assumeyes" || $0 == "--assumeno" || shortCluster($0, "y") || $0.contains("assumeyes=") }
            return answered ? nil : ("\(tool) \(sub)", "-y")
        default:
            return nil
        }
    }

    /// The first word that is not an option (nor the value of one in `valued`).
    static func subcommand(_ words: [String], valued: Set<String>) -> String? {
        var skipNext = false
        for word in words {
            if skipNext { skipNext = false; continue }
            if valued.contains(word) { skipNext = true; continue }
            if !word.hasPrefix("-") { return word }
        }
        return nil
    }

    /// Each simple command of the RUN as its words (quotes removed) and the offset of its first word.
    static func commands(_ instruction: DockerfileInstruction) -> [(words: [String], offset: Int)] {
        let text = instruction.arguments
        if text.hasPrefix("["), let array = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) {
            return [(array, 0)]
        }
        var result: [(words: [String], offset: Int)] = []
        var words: [String] = [], word = "", inWord = false, start = 0
        var quote: Character?
        func endWord() {
            if inWord { words.append(word) }
            word = ""
            inWord = false
        }
        func endCommand() {
            endWord()
            if !words.isEmpty { result.append((words, start)) }
            words = []
        }
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let char = characters[index]
            if let open = quote {
                if char == open { quote = nil } else { word.append(char) }
            } else if char == "'" || char == "\"" {
                if !inWord && words.isEmpty { start = index }
                quote = char
                inWord = true
            } else if char == " " || char == "\t" {
                endWord()
            } else if ";&|()\n".contains(char) {
                endCommand()
            } else {
                if !inWord && words.isEmpty { start = index }
                word.append(char)
                inWord = true
            }
            index += 1
        }
        endCommand()
        return result
    }
}
