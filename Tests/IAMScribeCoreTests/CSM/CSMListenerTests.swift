import Foundation
import Synchronization
import TestSupport
import Testing
@testable import IAMScribeCore

@Suite("CSM listener")
struct CSMListenerTests {
    func send(_ text: String, port: Int) {
        Loopback.send(Array(text.utf8), port: port)
    }

    @Test("Takes several events a datagram, counts bad ones by reason and keeps going")
    func datagrams() throws {
        let received = Mutex<[ObservedCall]>([])
        let listener = CSMListener(configuration: .init(port: 0, clientID: "me")) { calls in
            received.withLock { $0 += calls }
        }
        let port = try listener.start()
        #expect(listener.state == .running(port: port))
        let attempt = #"{"Version":1,"ClientId":"me","Type":"ApiCallAttempt","Service":"SQS","Api":"SendMessage","AccessKey":"AKIAIOSFODNN7EXAMPLE","SessionToken":"tok"}"#
        let call = #"{"Version":1,"ClientId":"me","Type":"ApiCall","Service":"SQS","Api":"SendMessage","FinalHttpStatusCode":200}"#
        send("garbage", port: port)
        send(attempt + "\n" + call, port: port)
        send(String(repeating: " ", count: 9000), port: port)
        send(#"{"Version":1,"ClientId":"you","Type":"ApiCall","Service":"S3","Api":"GetObject"}"#, port: port)
        send(#"{"Version":1,"ClientId":"me","Type":"ApiCall","Service":"S3","Api":5}"#, port: port)
        send(#"{"Version":1,"ClientId":"me","Type":"ApiCall","Service":"S3","Api":"ListBuckets"}"#, port: port)
        let deadline = Date().addingTimeInterval(5)
        while listener.statistics.datagrams < 6 && Date() < deadline { usleep(10_000) }
        listener.stop()
        #expect(listener.state == .stopped)
        let stats = listener.statistics
        #expect(stats.datagrams == 6)
        #expect(stats.events == 3)
        #expect(stats.rejected == ["invalid-json": 1, "oversized": 1, "other-client-id": 1, "wrong-field-type": 1])
        let calls = received.withLock { $0 }
        #expect(calls.map(\.operation) == ["SendMessage", "ListBuckets"])
        #expect(calls.first?.accessKeyID?.value == "AKIAIOSFODNN7EXAMPLE")
    }

    @Test("A taken port gives a clear error")
    func portInUse() throws {
        let first = CSMListener(configuration: .init(port: 0)) { _ in }
        let port = try first.start()
        defer { first.stop() }
        let second = CSMListener(configuration: .init(port: port)) { _ in }
        #expect {
            try second.start()
        } throws: { error in
            "\(error)".contains("cannot listen on 127.0.0.1:\(port)")
        }
    }
}
