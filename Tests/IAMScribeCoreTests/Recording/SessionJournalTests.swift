import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Session journal")
struct SessionJournalTests {
    @Test("Calls survive a round trip; a torn last line is reported, the rest kept")
    func roundTrip() throws {
        let call = ObservedCall(source: .csm, time: Date(timeIntervalSince1970: 1_795_910_227.858), service: "S3",
                                operation: "GetObject", region: "us-east-1", httpStatus: 404, errorCode: "NoSuchBucket",
                                clientID: "c", accessKeyID: AccessKeyID("AKIAIOSFODNN7EXAMPLE"), endpoint: "127.0.0.1:1",
                                parameters: ["Bucket": "b"])
        var bytes = Array(SessionJournal.headerLine().utf8)
        bytes += Array(SessionJournal.line(for: call).utf8)
        bytes += Array(#"{"source":"csm","time":"2026-"#.utf8)
        #expect(SessionJournal.looksLikeJournal(bytes))
        let (calls, problems) = SessionJournal.read(bytes)
        #expect(calls == [call])
        #expect(problems.count == 1)
        #expect(problems.first?.location?.line == 3)
    }

    @Test("CSM lines are not mistaken for a journal")
    func notJournal() {
        #expect(!SessionJournal.looksLikeJournal(Array(#"{"Version":1,"Type":"ApiCall"}"#.utf8)))
    }
}

@Suite("Session journal timestamps")
struct SessionJournalTimestampTests {
    static func wellFormed(_ text: String) -> Bool {
        text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil
    }

    @Test("Any time gives a well-formed date: before 1970, and beyond what four digits of year hold",
          arguments: [
            (-0.002, "1969-12-31T23:59:59.998Z"),
            (-1.0, "1969-12-31T23:59:59.000Z"),
            (0.0, "1970-01-01T00:00:00.000Z"),
            (1_795_910_227.5, "2026-11-28T23:57:07.500Z"),
            (-62_135_596_800.0, "0001-01-01T00:00:00.000Z"),
            (9_223_372_036_854_775.807, "9999-12-31T23:59:59.999Z"),
            (-1e300, "0000-01-01T00:00:00.000Z"),
            (Double.infinity, "9999-12-31T23:59:59.999Z"),
            (Double.nan, "1970-01-01T00:00:00.000Z"),
          ])
    func timestamp(_ seconds: Double, _ expected: String) {
        // Timestamp -1 was written as 1970-01-01T00:00:00.00-2Z (issue 10, defect 10).
        let text = SessionJournal.timestamp(Date(timeIntervalSince1970: seconds))
        #expect(text == expected)
        #expect(Self.wellFormed(text))
    }

    @Test("A CSM line with Timestamp -1 is journaled with a date the journal reads back")
    func csmTimestampThroughJournal() throws {
        let (calls, bad) = CSMLineReader.read(Array(#"{"Version":1,"Type":"ApiCall","Service":"S3","Api":"ListBuckets","Timestamp":-1}"#.utf8))
        #expect(bad.isEmpty)
        let call = try #require(calls.first)
        let line = SessionJournal.line(for: call)
        let time = try #require(line.firstMatch(of: /"time":"([^"]*)"/)?.1)
        #expect(Self.wellFormed(String(time)))
        let (read, problems) = SessionJournal.read(Array((SessionJournal.headerLine() + line).utf8))
        #expect(problems.isEmpty)
        #expect(read.map(\.operation) == ["ListBuckets"])
        #expect(abs((read.first?.time.timeIntervalSinceNow ?? -100)) < 60)
    }
}

@Suite("Session journal lines")
struct JournalLineParserTests {
    static let full = #"{"source":"pcap","time":"2026-11-29T00:25:33.594Z","service":"S\u00e9 \"3\"","operation":"GetObject","region":"us-east-1","httpStatus":200,"errorCode":null,"clientId":"c","accessKeyId":"AKIAIOSFODNN7EXAMPLE","endpoint":"e","parameters":{"Bucket":"b\\c","Key":""},"future":{"a":[1,{"b":"}"}]}}"#

    @Test("Every member is read; escapes resolved; members it does not know and nulls are skipped")
    func members() throws {
        let (calls, problems) = SessionJournal.read(Array((SessionJournal.headerLine() + Self.full + "\n").utf8))
        #expect(problems.isEmpty)
        let call = try #require(calls.first)
        #expect(call.source == .pcap)
        #expect(call.time == Date(timeIntervalSince1970: 1_795_911_933.594))
        #expect(call.service == "Sé \"3\"")
        #expect(call.region == "us-east-1" && call.httpStatus == 200 && call.errorCode == nil)
        #expect(call.accessKeyID?.value == "AKIAIOSFODNN7EXAMPLE" && call.endpoint == "e" && call.clientID == "c")
        #expect(call.parameters == ["Bucket": "b\\c", "Key": ""])
    }

    @Test("Other ISO 8601 forms of the time are read too")
    func otherTimes() throws {
        let line = #"{"source":"csm","time":"2026-11-29T00:25:33Z","service":"S3","operation":"GetObject"}"#
        let (calls, _) = SessionJournal.read(Array((SessionJournal.headerLine() + line).utf8))
        #expect(calls.first?.time == Date(timeIntervalSince1970: 1_795_911_933))
    }

    @Test("Every truncation of a line, and corrupted bytes, give a problem or a call, never a crash")
    func truncatedAndCorrupted() {
        let bytes = Array(Self.full.utf8)
        for length in 0..<bytes.count {
            let (calls, problems) = SessionJournal.read(Array(SessionJournal.headerLine().utf8) + bytes.prefix(length))
            #expect(calls.count + problems.count <= 1)
            if length > 0 && bytes[length - 1] != 0x20 { #expect(calls.isEmpty, "prefix \(length)") }
        }
        for index in bytes.indices {
            for replacement: UInt8 in [0x22, 0x7B, 0x7D, 0x5C, 0x00, 0xFF] {
                var corrupted = bytes
                corrupted[index] = replacement
                let (calls, problems) = SessionJournal.read(Array(SessionJournal.headerLine().utf8) + corrupted)
                #expect(calls.count + problems.count == 1)
            }
        }
        let (_, problems) = SessionJournal.read(Array((SessionJournal.headerLine() + #"{"source":"csm","service":"S3","operation":"X"}"#).utf8))
        #expect(problems.map(\.message) == ["not a journal entry (missing time)"])
        #expect(problems.first?.location?.line == 2)
    }

    @Test("A long journal reads every call (issue 10, defect 8: its speed is measured by Scripts/bench journal)")
    func long() {
        var journal = SessionJournal.headerLine()
        let line = #"{"source":"csm","time":"2026-11-29T00:25:33.594Z","service":"S3","operation":"GetObject","region":"us-east-1","httpStatus":200,"clientId":"app","accessKeyId":"AKIAIOSFODNN7EXAMPLE","endpoint":"s3.amazonaws.com"}"#
        for _ in 0..<20_000 { journal += line + "\n" }
        let (calls, problems) = SessionJournal.read(Array(journal.utf8))
        #expect(calls.count == 20_000 && problems.isEmpty)
        #expect(calls.last?.accessKeyID?.value == "AKIAIOSFODNN7EXAMPLE")
    }
}
