import Foundation
import Testing
@testable import IAMScribeCore

/// ``JSONEscape``, and the readers that decode strings through it: the strict policy parser,
/// ``JSONText/unescape(_:)`` (CSM events, request bodies, the session journal) and CloudTrail's
/// skimmer.
@Suite("JSON string escapes")
struct JSONEscapeTests {
    /// The content of a string (between the quotes), decoded by the shared routine.
    static func decoded(_ content: String, _ halfSurrogates: JSONEscape.HalfSurrogates) -> Result<String, JSONEscape.Failure> {
        var output: [UInt8] = []
        let bytes = Array(content.utf8)
        return bytes.withUnsafeBytes { raw in
            Result { () throws(JSONEscape.Failure) -> String in
                try JSONEscape.unescape(raw, into: &output, halfSurrogates: halfSurrogates)
                return String(decoding: output, as: UTF8.self)
            }
        }
    }

    /// The same content read by each reader: the strict parser, JSONText, the skimmer.
    static func readers(_ content: String) throws -> [String?] {
        let strict: String? = switch try? JSONValue.parse(Data("\"\(content)\"".utf8)).value {
        case .string(let text): text
        default: nil
        }
        let lenient = Array(content.utf8).withUnsafeBytes { JSONText.unescape($0) }
        let skimmed = Array("\"\(content)\"".utf8).withUnsafeBytes { raw -> String? in
            var skimmer = JSONSkimmer(raw)
            return try? skimmer.readString()
        }
        return [strict, lenient, skimmed]
    }

    @Test("Every escape JSON has, and text around them, the same from every reader", arguments: [
        (#"plain"#, "plain"),
        (#"a\"b\\c\/d"#, "a\"b\\c/d"),
        (#"\b\f\n\r\t"#, "\u{08}\u{0C}\n\r\t"),
        (#"caf\u00e9 \u00E9"#, "café é"),
        (#"\u2603 snow"#, "☃ snow"),
        (#"\ud83d\ude00!"#, "😀!"),
        (#"\u0000"#, "\u{0}"),
        ("déjà \\n vu", "déjà \n vu"),
    ])
    func escapes(content: String, expected: String) throws {
        #expect(try Self.decoded(content, .reject).get() == expected)
        #expect(try Self.decoded(content, .replace).get() == expected)
        #expect(try Self.readers(content) == [expected, expected, expected])
    }

    @Test("Half of a surrogate pair: U+FFFD for the lenient readers, an error for the strict parser", arguments: [
        (#"\ud83d"#, "\u{FFFD}"),
        (#"\ud83dx"#, "\u{FFFD}x"),
        (#"\ude00"#, "\u{FFFD}"),
        (#"\ud83d\n"#, "\u{FFFD}\n"),
        (#"\ud83d\ud83d\ude00"#, "\u{FFFD}😀"),
        (#"\ud83d\u0041"#, "\u{FFFD}A"),
    ])
    func halfSurrogates(content: String, expected: String) throws {
        #expect(try Self.decoded(content, .replace).get() == expected)
        #expect(throws: JSONEscape.Failure.self) { try Self.decoded(content, .reject).get() }
        #expect(try Self.readers(content) == [nil, expected, expected])
    }

    @Test("A malformed escape is refused by every reader, naming what is wrong and where its backslash is", arguments: [
        (#"ab\x"#, "'\\x' is not a JSON escape", 2),
        (#"\u12"#, "four hexadecimal digits", 0),
        (#"a\u12g4"#, "four hexadecimal digits", 1),
        (#"\ud83d\uzzzz"#, "four hexadecimal digits", 6),
        (#"ab\"#, "ends inside an escape", 2),
    ])
    func malformed(content: String, reason: String, offset: Int) throws {
        for halfSurrogates in [JSONEscape.HalfSurrogates.reject, .replace] {
            let result = Self.decoded(content, halfSurrogates)
            guard case .failure(let failure) = result else {
                Issue.record("\(content) decoded as \(result)")
                continue
            }
            #expect(failure.reason.contains(reason))
            #expect(failure.offset == offset)
        }
        // The skimmer and the strict parser never see a string that ends in a lone backslash: it
        // escapes the closing quote.
        if !content.hasSuffix("\\") {
            #expect(try Self.readers(content) == [nil, nil, nil])
        }
    }

    @Test("The strict parser's error names the escape, with its line and column")
    func strictPosition() {
        #expect {
            _ = try JSONValue.parse(Data("{\"a\":\n \"xy\\q\"}".utf8))
        } throws: { error in
            "\(error)".contains("'\\q' is not a JSON escape") && "\(error)".contains("line 2, column 5")
        }
    }

    @Test("The session journal reads escaped strings, and refuses a bad escape")
    func journal() throws {
        let line = #"{"source":"csm","time":"2026-11-29T00:25:33.594Z","service":"S\u0033","operation":"Get\/Object","clientId":"caf\u00e9 \ud83d\ude00"}"#
        let call = try Array(line.utf8).withUnsafeBytes { JournalLineParser.call(from: $0) }.get()
        #expect(call.service == "S3")
        #expect(call.operation == "Get/Object")
        #expect(call.clientID == "café 😀")
        let bad = line.replacingOccurrences(of: #"\u0033"#, with: #"\x"#)
        #expect(throws: JournalLineParser.Problem.self) { try Array(bad.utf8).withUnsafeBytes { JournalLineParser.call(from: $0) }.get() }
    }
}
