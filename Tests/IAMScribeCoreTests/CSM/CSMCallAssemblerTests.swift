import Foundation
import Testing
@testable import IAMScribeCore

@Suite("CSM call assembler")
struct CSMCallAssemblerTests {
    static func attempt(_ client: String, _ api: String = "GetObject", timestamp: Int64? = nil) -> CSMEvent {
        CSMEvent(kind: .apiCallAttempt, clientID: client, service: "S3", api: api, timestamp: timestamp,
                 accessKey: "AKIA\(client)")
    }

    static func call(_ client: String, _ api: String = "GetObject", timestamp: Int64? = nil) -> CSMEvent {
        CSMEvent(kind: .apiCall, clientID: client, service: "S3", api: api, timestamp: timestamp, httpStatus: 200)
    }

    @Test("100,000 attempts with distinct client ids: each becomes one call, oldest first, none waits beyond the bound")
    func manyDistinctAttempts() {
        // Eviction scanned every waiting attempt: this took minutes (issue 10, defect 7).
        var assembler = CSMCallAssembler()
        let start = Date(timeIntervalSince1970: 1_795_910_000)
        var calls: [ObservedCall] = []
        for index in 0..<100_000 {
            calls += assembler.add(Self.attempt("client-\(index)"), receivedAt: start.addingTimeInterval(Double(index) / 1000))
            #expect(assembler.pendingCount <= assembler.maximumPending)
        }
        #expect(calls.count == 90_000)
        #expect(assembler.pendingCount == 10_000)
        calls += assembler.flush()
        #expect(assembler.pendingCount == 0)
        #expect(calls.count == 100_000)
        #expect(calls.map { $0.clientID ?? "" } == (0..<100_000).map { "client-\($0)" })
        #expect(calls.allSatisfy { $0.accessKeyID?.value == "AKIA\($0.clientID ?? "")" && $0.operation == "GetObject" })
    }

    @Test("Attempts and their calls interleaved at volume: every call gets its own attempt's key id")
    func interleavedAtVolume() {
        var assembler = CSMCallAssembler()
        var calls: [ObservedCall] = []
        for index in 0..<50_000 {
            calls += assembler.add(Self.attempt("c\(index)"))
            if index >= 5 { calls += assembler.add(Self.call("c\(index - 5)")) }
        }
        calls += assembler.flush()
        #expect(calls.count == 50_000)
        #expect(calls.allSatisfy { $0.accessKeyID?.value == "AKIA\($0.clientID ?? "")" })
        #expect(calls.filter { $0.httpStatus == 200 }.count == 49_995)
    }

    @Test("Eviction takes the attempt that arrived first; a replaced or completed attempt keeps no place")
    func evictionOrder() {
        var assembler = CSMCallAssembler()
        assembler.maximumPending = 3
        let t0 = Date(timeIntervalSince1970: 1_795_910_000)
        #expect(assembler.add(Self.attempt("a"), receivedAt: t0).isEmpty)
        #expect(assembler.add(Self.attempt("b"), receivedAt: t0 + 1).isEmpty)
        #expect(assembler.add(Self.attempt("c"), receivedAt: t0 + 2).isEmpty)
        // A newer attempt of a replaces the first: a is now the newest.
        #expect(assembler.add(Self.attempt("a"), receivedAt: t0 + 3).isEmpty)
        // b's call completes b.
        #expect(assembler.add(Self.call("b"), receivedAt: t0 + 4).map { $0.clientID } == ["b"])
        #expect(assembler.add(Self.attempt("d"), receivedAt: t0 + 5).isEmpty)
        // Four wait: the oldest, c, goes (a's first place and b's are stale).
        #expect(assembler.add(Self.attempt("e"), receivedAt: t0 + 6).map { $0.clientID } == ["c"])
        #expect(assembler.add(Self.attempt("f"), receivedAt: t0 + 7).map { $0.clientID } == ["a"])
        #expect(assembler.pendingCount == 3)
        // Only attempts that waited orphanAge are flushed, oldest first.
        #expect(assembler.flush(now: t0 + 5 + assembler.orphanAge + 1.5).map { $0.clientID } == ["d", "e"])
        #expect(assembler.flush().map { $0.clientID } == ["f"])
        #expect(assembler.pendingCount == 0)
    }

    @Test("An implausible Timestamp (before 2000, more than a day ahead) gives way to the receive time",
          arguments: [Int64(-1), 0, 946_684_799_999, Int64.max, 9_000_000_000_000_000])
    func implausibleTimestamp(_ timestamp: Int64) throws {
        var assembler = CSMCallAssembler()
        let received = Date(timeIntervalSince1970: 1_795_910_000)
        let calls = assembler.add(Self.call("x", timestamp: timestamp), receivedAt: received)
        let call = try #require(calls.first)
        #expect(call.time == received)
        #expect(SessionJournal.timestamp(call.time) == "2026-11-28T23:53:20.000Z")
    }

    @Test("A plausible Timestamp is kept; an attempt's lends itself when the call's is implausible")
    func plausibleTimestamp() throws {
        var assembler = CSMCallAssembler()
        let received = Date(timeIntervalSince1970: 1_795_910_000)
        let kept = try #require(assembler.add(Self.call("x", timestamp: 1_795_909_999_123), receivedAt: received).first)
        #expect(kept.time == Date(timeIntervalSince1970: 1_795_909_999.123))
        _ = assembler.add(Self.attempt("y", timestamp: 1_795_909_999_500), receivedAt: received)
        let lent = try #require(assembler.add(Self.call("y", timestamp: -1), receivedAt: received).first)
        #expect(lent.time == Date(timeIntervalSince1970: 1_795_909_999.5))
        // Old recordings stay old: only the future is bounded by the receive time.
        let old = try #require(assembler.add(Self.call("z", timestamp: 1_000_000_000_000), receivedAt: received).first)
        #expect(old.time == Date(timeIntervalSince1970: 1_000_000_000))
    }

    @Test("A file of 100,000 attempts with distinct client ids gives 100,000 calls")
    func manyAttemptsFromAFile() {
        // generate took 137 s on such a file (issue 10, defect 7).
        var text = ""
        for index in 0..<100_000 {
            text += #"{"Version":1,"ClientId":"c\#(index)","Type":"ApiCallAttempt","Service":"SQS","Api":"SendMessage","Timestamp":1795910000000}"# + "\n"
        }
        let (calls, bad) = CSMLineReader.read(Array(text.utf8))
        #expect(bad.isEmpty)
        #expect(calls.count == 100_000)
        #expect(Set(calls.compactMap(\.clientID)).count == 100_000)
        #expect(calls.first?.clientID == "c0" && calls.last?.clientID == "c99999")
    }
}
