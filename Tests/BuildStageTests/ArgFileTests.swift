import Testing
@testable import BuildStage

struct ArgFileTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var key: String
        var value: String
        var line: Int
        var testDescription: String { text.replacingOccurrences(of: "\n", with: "⏎") }
    }

    @Test(arguments: [
        Case(text: "CUSTOM_TAG=demo", key: "CUSTOM_TAG", value: "demo", line: 1),
        Case(text: "# comment\n\nHTTP_PROXY=", key: "HTTP_PROXY", value: "", line: 3),
        Case(text: "OS_DISTRIBUTION=ubuntu\nIMAGE_REPO=$OS_DISTRIBUTION", key: "IMAGE_REPO", value: "ubuntu", line: 2),
        Case(text: "OS_DISTRIBUTION=ubuntu\nIMAGE_REPO=${OS_DISTRIBUTION}-edge", key: "IMAGE_REPO", value: "ubuntu-edge", line: 2),
        Case(text: "ISO_NAME=\"my iso\"", key: "ISO_NAME", value: "my iso", line: 1),
        Case(text: "ISO_NAME='$NOT_EXPANDED'", key: "ISO_NAME", value: "$NOT_EXPANDED", line: 1),
        Case(text: "CUSTOM_TAG=demo # the tag", key: "CUSTOM_TAG", value: "demo", line: 1),
        Case(text: "export ARCH=arm64", key: "ARCH", value: "arm64", line: 1),
        Case(text: "  ARCH = amd64", key: "ARCH", value: "", line: 1),
        Case(text: "CUSTOM_TAG=$FROM_ENV", key: "CUSTOM_TAG", value: "palette-learn", line: 1),
        Case(text: "X=1\r\nCUSTOM_TAG=a\"b\"c", key: "CUSTOM_TAG", value: "abc", line: 2),
        Case(text: "NO_PROXY=\"a,\\\"b\\\"\"", key: "NO_PROXY", value: "a,\"b\"", line: 1),
    ])
    func parsesValues(_ c: Case) {
        let file = ArgFile.parse(c.text, file: ".arg", environment: ["FROM_ENV": "palette-learn"])
        let entry = file.entry(c.key)
        #expect(entry?.value == c.value)
        #expect(entry?.line == c.line)
    }

    @Test func earlierKeysWinOverTheEnvironment() {
        let file = ArgFile.parse("OS_DISTRIBUTION=opensuse-leap\nIMAGE_REPO=$OS_DISTRIBUTION", file: ".arg",
                                 environment: ["OS_DISTRIBUTION": "ubuntu"])
        #expect(file.entry("IMAGE_REPO")?.value == "opensuse-leap")
    }

    @Test func undefinedReferenceWarnsWithTheLine() throws {
        let file = ArgFile.parse("A=1\nCUSTOM_TAG=$CUSTOM_TAG", file: ".arg", environment: [:])
        #expect(file.entry("CUSTOM_TAG")?.value == "")
        let issue = try #require(file.issues.first)
        #expect(issue.severity == .warning)
        #expect(issue.line == 2)
        #expect(issue.formatted.hasPrefix(".arg:2: warning: $CUSTOM_TAG is not set"))
    }

    @Test func malformedLinesAreErrorsAndParsingGoesOn() {
        let file = ArgFile.parse("GARBAGE\n1BAD=x\nISO_NAME=\"open\nARCH=amd64\nARCH=arm64", file: "site/.arg")
        #expect(file.issues.map(\.line) == [1, 2, 3, 5])
        #expect(file.issues.map(\.severity) == [.error, .error, .error, .warning])
        #expect(file.issues[0].formatted == "site/.arg:1: error: expected KEY=VALUE: the line has no '='")
        #expect(file.issues[3].message.contains("first set on line 4"))
        #expect(file.entry("ARCH")?.value == "arm64")
    }

    /// Was: a file saved with a BOM reported its first line as "expected KEY=VALUE".
    @Test func byteOrderMarkIsIgnored() {
        for first in ["# build arguments", "CUSTOM_TAG=demo"] {
            let file = ArgFile.parse("\u{FEFF}\(first)\r\nARCH=amd64\r\n", file: ".arg")
            #expect(file.issues.isEmpty)
            #expect(file.entry("ARCH")?.value == "amd64")
        }
        #expect(ArgFile.parse("\u{FEFF}CUSTOM_TAG=demo", file: ".arg").entry("CUSTOM_TAG")?.value == "demo")
    }

    @Test func unquotedSpaceIsFlagged() {
        let file = ArgFile.parse("ISO_NAME=my iso", file: ".arg")
        #expect(file.entry("ISO_NAME")?.value == "my")
        #expect(file.issues.first?.message.contains("unquoted space") == true)
    }

    /// 40 lines that each double the one before would need 2^40 bytes: expansion stops at the limit
    /// with an error naming the line, the argument and the variable, and parsing goes on.
    @Test func doublingVariablesStopAtTheLimit() throws {
        let lines = ["A0=0123456789abcdef"] + (1..<40).map { "A\($0)=$A\($0 - 1)${A\($0 - 1)}" }
        let file = ArgFile.parse(lines.joined(separator: "\n") + "\nARCH=amd64", file: ".arg")
        let errors = file.issues.filter { $0.severity == .error }
        // 16 bytes doubled 12 times is 65536, the limit itself; the 13th doubling passes it.
        let first = try #require(errors.first)
        #expect(first.line == 14 && first.key == "A13")
        #expect(first.formatted == ".arg:14: error: A13 grows past 65536 bytes when $A12 is expanded; it is left empty (allowed: values of at most 65536 bytes after expansion)")
        #expect(file.entry("A12")?.value.utf8.count == ArgFile.maximumValueLength)
        #expect(file.entries.allSatisfy { $0.value.utf8.count <= ArgFile.maximumValueLength })
        #expect(file.entry("ARCH")?.value == "amd64")
    }

    /// One line with thousands of references to a value at the limit stops at the first one that
    /// passes it, rather than building the whole line first.
    @Test func manyReferencesOnOneLineStopAtTheLimit() throws {
        let big = String(repeating: "x", count: ArgFile.maximumValueLength - 1)
        let text = "BIG=\(big)\nHUGE=\"\(String(repeating: "$BIG", count: 10_000))\""
        let file = ArgFile.parse(text, file: ".arg")
        let issue = try #require(file.issues.first)
        #expect(issue.line == 2 && issue.message.hasPrefix("HUGE grows past 65536 bytes when $BIG is expanded"))
        #expect(file.entry("HUGE")?.value == "")
    }

    /// Messages about a line's syntax never quote the line: it may hold a password.
    @Test func syntaxMessagesQuoteNothingFromTheLine() {
        let text = "hunter2-secret\nhttp://u:hunter2-secret@x=1\nISO_NAME=a hunter2-secret\nARCH = hunter2-secret"
        let file = ArgFile.parse(text, file: ".arg")
        #expect(file.issues.count == 4)
        for issue in file.issues { #expect(!issue.formatted.contains("hunter2"), "\(issue.formatted)") }
    }
}
