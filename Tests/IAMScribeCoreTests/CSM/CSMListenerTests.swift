import Foundation
import Synchronization
import Testing
@testable import IAMScribeCore

@Suite("CSM listener")
struct CSMListenerTests {
    func send(_ text: String, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
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
