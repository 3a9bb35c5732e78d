import CSocketShims
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

    @Test("A datagram of many bad events counts once among rejected datagrams; each bad event counts among rejected events")
    func rejectedOncePerDatagram() throws {
        // 50 bad lines in one datagram counted 50 rejected datagrams (issue 10, defect 10).
        let listener = CSMListener(configuration: .init(port: 0)) { _ in }
        let port = try listener.start()
        let good = #"{"Version":1,"Type":"ApiCall","Service":"S3","Api":"ListBuckets"}"#
        send(Array(repeating: "{bad", count: 50).joined(separator: "\n"), port: port)
        send(([good] + Array(repeating: #"{"Version":1,"Type":"ApiCall"}"#, count: 3)).joined(separator: "\n"), port: port)
        send(good, port: port)
        let deadline = Date().addingTimeInterval(5)
        while listener.statistics.datagrams < 3 && Date() < deadline { usleep(10_000) }
        listener.stop()
        let stats = listener.statistics
        #expect(stats.datagrams == 3)
        #expect(stats.events == 2)
        #expect(stats.rejected == ["invalid-json": 1, "missing-field": 1])
        #expect(stats.rejectedTotal == 2)
        #expect(stats.rejectedEvents == ["invalid-json": 50, "missing-field": 3])
        #expect(stats.rejectedEventsTotal == 53)
    }

    @Test("Empty and blank datagrams are counted as rejected, reason empty")
    func emptyDatagrams() throws {
        // A zero-length datagram was counted nowhere (issue 10, defect 10).
        let listener = CSMListener(configuration: .init(port: 0)) { _ in }
        let port = try listener.start()
        Loopback.send([], port: port)
        send(" \r\n\t\n", port: port)
        let deadline = Date().addingTimeInterval(5)
        while listener.statistics.datagrams < 2 && Date() < deadline { usleep(10_000) }
        listener.stop()
        let stats = listener.statistics
        #expect(stats.datagrams == 2)
        #expect(stats.rejected == ["empty": 2])
        #expect(stats.rejectedEvents.isEmpty)
    }

    #if os(Linux)
    @Test("The socket asks the kernel for its drop count (SO_RXQ_OVFL)")
    func dropCountOption() throws {
        let listener = CSMListener(configuration: .init(port: 0)) { _ in }
        try listener.start()
        defer { listener.stop() }
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        #expect(getsockopt(listener.socketDescriptor, SOL_SOCKET, SO_RXQ_OVFL, &value, &length) == 0)
        #expect(value == 1)
    }

    @Test("A drop count in a datagram's control message is read")
    func dropCountFromControlMessage() {
        // A cmsghdr (SOL_SOCKET, SO_RXQ_OVFL) followed by a 32-bit count, as the kernel writes it.
        let headerSize = MemoryLayout<cmsghdr>.stride
        var header = cmsghdr()
        header.cmsg_len = headerSize + 4
        header.cmsg_level = SOL_SOCKET
        header.cmsg_type = SO_RXQ_OVFL
        var control = withUnsafeBytes(of: header) { Array($0) }
        control += withUnsafeBytes(of: UInt32(1234)) { Array($0) }
        control += [UInt8](repeating: 0, count: 8 - control.count % 8)
        var dropped: UInt32 = 0
        let found = control.withUnsafeMutableBytes { iamscribe_control_drop_count($0.baseAddress, $0.count, &dropped) }
        #expect(found == 1)
        #expect(dropped == 1234)
        var other = cmsghdr()
        other.cmsg_len = headerSize + 4
        other.cmsg_level = SOL_SOCKET
        other.cmsg_type = SO_TIMESTAMP
        var unrelated = withUnsafeBytes(of: other) { Array($0) } + [1, 0, 0, 0, 0, 0, 0, 0]
        dropped = 0
        #expect(unrelated.withUnsafeMutableBytes { iamscribe_control_drop_count($0.baseAddress, $0.count, &dropped) } == 0)
        #expect(dropped == 0)
    }

    @Test("A stop reads what the socket already holds (issue 10, defect 1: queued datagrams were left unreported)")
    func stopDrainsTheQueue() throws {
        // The listener's thread is held in its callback while 20 unknown names and 100 valid
        // events queue up; then it is told to stop, and let go.
        let held = try HeldListener()
        let (listener, port) = (held.listener, held.port)
        let deadline = Date().addingTimeInterval(5)
        for index in 0..<20 {
            send(#"{"Version":1,"Type":"ApiCall","Service":"NoSuchService\#(index)","Api":"Nothing\#(index)"}"#, port: port)
        }
        for index in 0..<100 {
            send(#"{"Version":1,"Type":"ApiCall","Service":"SQS","Api":"SendMessage","Region":"r\#(index)"}"#, port: port)
        }
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            listener.stop()
            stopped.signal()
        }
        while listener.state != .stopped && Date() < deadline { usleep(1_000) }
        held.release()
        stopped.wait()
        let calls = held.calls
        #expect(calls.filter { $0.operation == "SendMessage" }.count == 100)
        #expect(calls.count == 121)
        #expect(listener.statistics.datagrams == 121)
    }

    @Test("Datagrams the kernel drops while the listener is busy are counted")
    func kernelDrops() throws {
        // Kernel drops were never reported (issue 10, defect 10). The listener's thread is held
        // in its callback while a tiny receive queue overflows.
        let held = try HeldListener()
        let (listener, port) = (held.listener, held.port)
        let event = #"{"Version":1,"Type":"ApiCall","Service":"S3","Api":"ListBuckets"}"#
        let deadline = Date().addingTimeInterval(5)
        var small: Int32 = 1
        #expect(setsockopt(listener.socketDescriptor, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size)) == 0)
        let flood = 300
        for _ in 0..<flood { send(event, port: port) }
        held.release()
        // The count comes with the next datagram the kernel queues after the drops.
        while listener.statistics.events < 2 && Date() < deadline { usleep(5_000) }
        usleep(50_000)
        send(event, port: port)
        let sent = flood + 2
        while listener.statistics.datagrams + listener.statistics.kernelDrops < sent && Date() < deadline { usleep(5_000) }
        // Read from the datagram's control message, while the listener runs.
        #expect(listener.statistics.kernelDrops > 0)
        listener.stop()
        let stats = listener.statistics
        #expect(stats.kernelDrops > 0)
        #expect(stats.datagrams + stats.kernelDrops == sent)
        #expect(stats.events == stats.datagrams)
    }

    @Test("Drops after the last datagram are counted when the listener stops")
    func kernelDropsAtStop() throws {
        let held = try HeldListener()
        let (listener, port) = (held.listener, held.port)
        let event = #"{"Version":1,"Type":"ApiCall","Service":"S3","Api":"ListBuckets"}"#
        var small: Int32 = 1
        #expect(setsockopt(listener.socketDescriptor, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size)) == 0)
        let flood = 300
        for _ in 0..<flood { send(event, port: port) }
        held.release()
        usleep(200_000)
        listener.stop()
        let stats = listener.statistics
        #expect(stats.kernelDrops > 0)
        #expect(stats.datagrams + stats.kernelDrops == flood + 1)
    }
    #endif
}

/// A listener whose thread is held in its first callback until `release()`, so that datagrams
/// queue up in the socket meanwhile.
final class HeldListener: Sendable {
    private final class Gate: Sendable {
        let hold = DispatchSemaphore(value: 0)
        let held = Mutex(false)
        let received = Mutex<[ObservedCall]>([])
    }

    let listener: CSMListener
    let port: Int
    private let gate = Gate()

    init() throws {
        let gate = self.gate
        listener = CSMListener(configuration: .init(port: 0)) { calls in
            let first = gate.held.withLock { was in
                defer { was = true }
                return !was
            }
            if first { gate.hold.wait() }
            gate.received.withLock { $0 += calls }
        }
        port = try listener.start()
        Loopback.send(Array(#"{"Version":1,"Type":"ApiCall","Service":"S3","Api":"ListBuckets"}"#.utf8), port: port)
        let deadline = Date().addingTimeInterval(5)
        while !gate.held.withLock({ $0 }) && Date() < deadline { usleep(5_000) }
    }

    func release() { gate.hold.signal() }

    /// The calls delivered so far.
    var calls: [ObservedCall] { gate.received.withLock { $0 } }
}
