#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Synchronization

/// What a live capture reports as it goes.
public enum CaptureEvent: Sendable {
    /// A call was decoded (its response seen, or its connection ended).
    case call(ObservedCall)
    /// An AWS endpoint was reached over TLS for the first time: its calls cannot be decoded.
    case tlsEndpoint(TLSEndpoint)
}

/// Captures packets on a network interface and decodes them into calls as they happen.
///
/// libpcap reads on a thread of its own; events come out through ``events``, which finishes after
/// ``stop()`` (or when the interface fails: ``failure`` then says why). A packet that does not
/// decode is counted and skipped; it never stops the capture.
///
/// ```swift
/// let capture = try LiveCapture(interface: "eth0", filter: "tcp port 80")
/// for await event in capture.events { ... }
/// ```
public final class LiveCapture: Sendable {
    /// The events, in the order they were decoded.
    public let events: AsyncStream<CaptureEvent>
    /// The interface captured on.
    public let interface: String

    private let stopping = Atomic<Bool>(false)
    /// Reads from libpcap so far; a capture with no traffic makes about ten a second.
    package let reads = Atomic<Int>(0)
    private let state = Mutex<(statistics: CaptureStatistics, failure: String?, dropped: Int)>((CaptureStatistics(), nil, 0))
    private let finished = Mutex<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    /// Kept only to interrupt a blocked read from ``stop()``: `pcap_breakloop` is the one libpcap
    /// call meant for another thread.
    nonisolated(unsafe) private let handle: PcapHandle

    /// Starts capturing.
    ///
    /// - Parameters:
    ///   - interface: The interface, for example `eth0`, `lo`, or `any`.
    ///   - filter: A BPF filter expression (`tcp port 80 or udp port 31000`), or nil for every packet.
    ///   - options: How to decode.
    ///   - table: The action table.
    /// - Throws: ``IAMScribeError``: `.permissionDenied` (run as root or grant the capabilities),
    ///   `.unknownInterface` (with the interfaces there are), `.invalidFilter`, `.captureFailed`,
    ///   or `.invalidInput` for a link layer iamscribe does not decode.
    public init(interface: String, filter: String? = nil, options: CaptureOptions = CaptureOptions(),
                table: ActionTable = .bundled) throws {
        let opened = try PcapHandle(interface: interface, filter: filter)
        let decoder = try PacketPipeline(linkType: opened.linkType, options: options, table: table)
        self.interface = interface
        self.handle = opened
        let (stream, continuation) = AsyncStream<CaptureEvent>.makeStream(bufferingPolicy: .unbounded)
        events = stream
        // The handle and the pipeline move to the capture thread and are used only there.
        nonisolated(unsafe) let handle = opened
        nonisolated(unsafe) let pipeline = decoder
        try OSThread.start(name: "iamscribe-capture-\(interface)") { [self] in
            run(handle: handle, pipeline: pipeline, continuation: continuation)
        }
    }

    deinit {
        stopping.store(true, ordering: .relaxed)
    }

    /// Stops capturing: calls still waiting for a response come out, then ``events`` finishes.
    /// Returns when the capture thread has ended; calling it again does nothing.
    public func stop() {
        let first = finished.withLock { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        stopping.store(true, ordering: .relaxed)
        handle.breakLoop()
        if first { done.wait() }
    }

    /// What was seen so far (updated about ten times a second).
    public var statistics: CaptureStatistics {
        state.withLock { $0.statistics }
    }

    /// Packets the kernel dropped because iamscribe did not read them fast enough.
    public var droppedPackets: Int {
        state.withLock { $0.dropped }
    }

    /// Why the capture ended on its own, when it did (the interface went away, for example).
    public var failure: String? {
        state.withLock { $0.failure }
    }

    /// The names of the interfaces there are to capture on.
    ///
    /// - Throws: ``IAMScribeError`` with code `.captureFailed` when they cannot be listed.
    public static func interfaces() throws -> [String] {
        try PcapHandle.interfaces()
    }

    private func run(handle: PcapHandle, pipeline: PacketPipeline, continuation: AsyncStream<CaptureEvent>.Continuation) {
        var lastPublished = Date()
        func publish() {
            for endpoint in pipeline.takeNewTLSEndpoints() { continuation.yield(.tlsEndpoint(endpoint)) }
            for call in pipeline.takeCalls() { continuation.yield(.call(call)) }
        }
        func publishStatistics() {
            let statistics = pipeline.statistics, dropped = handle.droppedByKernel
            state.withLock {
                $0.statistics = statistics
                $0.dropped = dropped
            }
        }
        while !stopping.load(ordering: .relaxed) {
            reads.add(1, ordering: .relaxed)
            let result = handle.next { packet, wireLength, seconds, microseconds in
                pipeline.process(packet, wireLength: wireLength, time: Double(seconds) + Double(microseconds) / 1_000_000)
            }
            if case .failed(let reason) = result {
                state.withLock { $0.failure = "the capture on \(interface) stopped: \(reason)" }
                break
            }
            if case .end = result { break }
            publish()
            let now = Date()
            if now.timeIntervalSince(lastPublished) >= 0.1 {
                lastPublished = now
                pipeline.expire(now: now.timeIntervalSince1970)
                publish()
                publishStatistics()
            }
        }
        pipeline.finish()
        publish()
        publishStatistics()
        continuation.finish()
        finished.withLock { $0 = true }
        done.signal()
    }
}
