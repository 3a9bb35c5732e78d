import Foundation
import Testing
@testable import IAMScribeCore

/// What replaced full Foundation in Sources/ (so that the release binary links only
/// FoundationEssentials) answers as Foundation did. The tests link Foundation, so each
/// replacement is compared with the call it replaced, on the same inputs.
@Suite("Replacements for Foundation-only calls answer as Foundation")
struct FoundationReplacementTests {
    /// Every space-like and line-breaking scalar, some that look like spaces and are not, and text around them.
    static let samples: [String] = {
        let edges: [String] = [" ", "\t", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2000}",
                               "\u{2009}", "\u{200A}", "\u{200B}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}",
                               "\u{FEFF}", "\u{180E}", "", "x"]
        let middles = ["", "a", "a b", "a\tb", "é", "e\u{301}", "\u{301}", "日本", "[profile x]", "a\u{2028}b"]
        var samples: [String] = []
        for left in edges {
            for middle in middles {
                for right in edges { samples.append(left + middle + right) }
            }
        }
        return samples
    }()

    @Test("trimmingWhitespace() is trimmingCharacters(in: .whitespaces)")
    func whitespace() {
        for sample in Self.samples {
            #expect(sample.trimmingWhitespace() == sample.trimmingCharacters(in: .whitespaces), "\(sample.unicodeScalars.map(\.value))")
            #expect(sample.dropFirst(0).trimmingWhitespace() == sample.trimmingCharacters(in: .whitespaces))
        }
    }

    @Test("trimmingWhitespaceAndNewlines() is trimmingCharacters(in: .whitespacesAndNewlines)")
    func whitespaceAndNewlines() {
        for sample in Self.samples {
            #expect(sample.trimmingWhitespaceAndNewlines() == sample.trimmingCharacters(in: .whitespacesAndNewlines),
                    "\(sample.unicodeScalars.map(\.value))")
        }
    }

    @Test("trimming([\" \", \"\\t\"]) is trimmingCharacters(in: CharacterSet(charactersIn: \" \\t\"))")
    func spaceAndTab() {
        for sample in Self.samples {
            #expect(sample.trimming([" ", "\t"]) == sample.trimmingCharacters(in: CharacterSet(charactersIn: " \t")))
        }
    }

    @Test("splitOnWhitespace() is components(separatedBy: .whitespaces) without the empty ones")
    func split() {
        for sample in Self.samples + ["a  b\t\tc", " a\u{3000}b ", "a\nb c"] {
            #expect(sample.splitOnWhitespace() == sample.components(separatedBy: .whitespaces).filter { !$0.isEmpty })
        }
    }

    /// Foundation's table predates the standard library's: scalars assigned since Unicode 9 (Tangut,
    /// the Unicode 15.1 to 17 additions) may differ, and are left out.
    @Test("Unicode.Scalar.isAlphanumeric is CharacterSet.alphanumerics, for every scalar assigned by Unicode 8.0")
    func alphanumerics() {
        var differences: [UInt32] = []
        var compared = 0
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age, age.major <= 8 else { continue }
            compared += 1
            if scalar.isAlphanumeric != CharacterSet.alphanumerics.contains(scalar) { differences.append(value) }
        }
        #expect(compared > 100_000)
        #expect(differences.isEmpty, "differ at \(differences.prefix(20).map { String($0, radix: 16) })")
    }

    @Test("InputFile.read(path:upTo:from:) reads a prefix, a slice, past the end and nothing; a missing file is an error")
    func readPrefix() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-prefix-\(getpid())").path
        try Data("0123456789".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try InputFile.read(path: path, upTo: 4) == Array("0123".utf8))
        #expect(try InputFile.read(path: path, upTo: 1, from: 9) == Array("9".utf8))
        #expect(try InputFile.read(path: path, upTo: 100, from: 5) == Array("56789".utf8))
        #expect(try InputFile.read(path: path, upTo: 4, from: 10) == [])
        #expect(try InputFile.read(path: path, upTo: 0) == [])
        let missing = #expect(throws: IAMScribeError.self) { try InputFile.read(path: path + "-missing", upTo: 4) }
        #expect(missing?.code == .unreadableInput)
        #expect(missing?.reason.contains("no such file") == true)
    }

    @Test("A URL-encoded policy document decodes as removingPercentEncoding did; a malformed escape is refused")
    func percentEncodedDocument() throws {
        let document = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
        let encoded = try #require(document.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        #expect(encoded.removingPercentEncoding == document)
        let wrapped = Data(#"{"PolicyVersion":{"Document":"\#(encoded)"}}"#.utf8)
        let policy = try IAMPolicy.parse(wrapped, source: "encoded.json")
        #expect(policy.statements.count == 1)
        // Foundation returns nil for "%zz"; so does the replacement, and the document is refused.
        let malformed = Data(#"{"PolicyVersion":{"Document":"%7B%zz"}}"#.utf8)
        #expect("%7B%zz".removingPercentEncoding == nil)
        #expect(throws: IAMScribeError.self) { try IAMPolicy.parse(malformed, source: "malformed.json") }
    }
}
