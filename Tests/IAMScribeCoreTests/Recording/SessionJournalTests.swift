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
