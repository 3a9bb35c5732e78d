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
        #expect(problems.first?.hasPrefix("line 3:") == true)
    }

    @Test("CSM lines are not mistaken for a journal")
    func notJournal() {
        #expect(!SessionJournal.looksLikeJournal(Array(#"{"Version":1,"Type":"ApiCall"}"#.utf8)))
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
        #expect(problems == ["line 2: not a journal entry (missing time)"])
    }

    @Test("A journal loads about as fast as the same calls as CSM lines (issue 10, defect 8: 45 times slower)")
    func fast() {
        var journal = SessionJournal.headerLine(), csm = ""
        let line = #"{"source":"csm","time":"2026-11-29T00:25:33.594Z","service":"S3","operation":"GetObject","region":"us-east-1","httpStatus":200,"clientId":"app","accessKeyId":"AKIAIOSFODNN7EXAMPLE","endpoint":"s3.amazonaws.com"}"#
        let event = #"{"Version":1,"ClientId":"app","Type":"ApiCall","Service":"S3","Api":"GetObject","Timestamp":1795998333594,"AttemptCount":1,"Region":"us-east-1","FinalHttpStatusCode":200,"Latency":20,"MaxRetriesExceeded":0}"#
        for _ in 0..<20_000 {
            journal += line + "\n"
            csm += event + "\n"
        }
        let (journalBytes, csmBytes) = (Array(journal.utf8), Array(csm.utf8))
        var best = (journal: Double.infinity, csm: Double.infinity)
        for _ in 0..<2 {
            var start = Date()
            let (calls, problems) = SessionJournal.read(journalBytes)
            best.journal = min(best.journal, Date().timeIntervalSince(start))
            #expect(calls.count == 20_000 && problems.isEmpty)
            start = Date()
            let (events, bad) = CSMLineReader.read(csmBytes)
            best.csm = min(best.csm, Date().timeIntervalSince(start))
            #expect(events.count == 20_000 && bad.isEmpty)
        }
        #expect(best.journal < best.csm * 4, "journal \(best.journal) s, CSM lines \(best.csm) s")
    }
}
