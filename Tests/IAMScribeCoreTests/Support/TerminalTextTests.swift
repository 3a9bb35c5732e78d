import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Terminal text and JSON text: nothing from outside acts on a terminal")
struct TerminalTextTests {
    static let hostile = "a\u{1B}]0;pwned\u{7}b\u{202E}c\u{9B}2Jd\u{7F}e\nf\u{200B}g\u{2028}h\u{E0001}"

    @Test("Control, bidirectional and format characters are escaped; printable text is left alone")
    func escape() {
        let escaped = TerminalText.escape(Self.hostile)
        #expect(escaped == #"a\u{1B}]0;pwned\u{7}b\u{202E}c\u{9B}2Jd\u{7F}e\u{A}f\u{200B}g\u{2028}h\u{E0001}"#)
        #expect(!escaped.unicodeScalars.contains { TerminalText.needsEscape($0) })
        #expect(TerminalText.escape("s3:GetObject on arn:aws:s3:::photos/é.jpg") == "s3:GetObject on arn:aws:s3:::photos/é.jpg")
        #expect(TerminalText.escape("one\ntwo\u{1B}", keepingNewlines: true) == "one\ntwo\\u{1B}")
    }

    @Test("Long names are cut, with an ellipsis")
    func cut() {
        #expect(TerminalText.cut("short", to: 4) == "shor…")
        #expect(TerminalText.cut("four", to: 4) == "four")
        #expect(TerminalText.cut(String(repeating: "é", count: 4), to: 4) == String(repeating: "é", count: 4))
        #expect(TerminalText.cut(String(repeating: "é", count: 5), to: 4) == String(repeating: "é", count: 4) + "…")
    }

    @Test("JSON strings escape C1 and format characters too, and mean the same")
    func json() throws {
        let quoted = JSONText.quote(Self.hostile)
        #expect(!quoted.unicodeScalars.contains { TerminalText.needsEscape($0) })
        let array = try #require(try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as? [String])
        #expect(array == [Self.hostile])

        let encoded = String(decoding: try JSONEncoder().encode(["name": Self.hostile]), as: UTF8.self)
        let safe = JSONText.escapeInvisibles(encoded)
        #expect(!safe.unicodeScalars.contains { TerminalText.needsEscape($0) })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(safe.utf8)) as? [String: String])
        #expect(object == ["name": Self.hostile])
    }
}
