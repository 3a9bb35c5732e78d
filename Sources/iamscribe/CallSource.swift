import ArgumentParser
import Foundation
import IAMScribeCore
import Logging
import Synchronization

/// Where a live recording's calls come from: CSM datagrams or packets on an interface.
protocol CallSource: AnyObject {
    /// The end of the status line, for example `rejected datagrams 2`.
    var status: String { get }
    /// When the source last received something.
    var lastActivity: Date? { get }
    /// Stops receiving and hands on what is still pending.
    func stop()
    /// Lines for standard error on exit.
    func summary(calls: Int, actions: Int) -> [String]
}

/// How `record` and `run` learn calls.
enum CaptureMode: String, ExpressibleByArgument, CaseIterable {
    /// SDK client-side monitoring datagrams.
    case csm
    /// Packets on a network interface (libpcap): plain HTTP requests and CSM datagrams.
    case pcap
}

/// The options of network capture for `record` and `run`.
struct CaptureModeOptions: ParsableArguments {
    @Option(help: "How to learn calls: csm (client-side monitoring, the default) or pcap (capture packets on --interface).")
    var mode: CaptureMode = .csm

    @Option(help: "With --mode pcap: the interface to capture on (any, lo, eth0, ...).")
    var interface = "any"

    @Option(help: "With --mode pcap: a BPF filter, for example 'tcp port 80 or udp port 31000'.")
    var filter: String?

    @Option(name: .customLong("csm-port"), help: "With --mode pcap: a UDP port CSM datagrams go to (repeatable; default 31000).")
    var csmPorts: [UInt16] = []

    func validate() throws {
        if mode == .csm && (filter != nil || !csmPorts.isEmpty || interface != "any") {
            throw ValidationError("--interface, --filter and --csm-port apply to --mode pcap.")
        }
        if csmPorts.contains(0) { throw ValidationError("--csm-port takes a UDP port from 1 to 65535.") }
    }

    /// Starts a live capture that adds its calls to `recording`.
    func startCapture(into recording: Recording) throws -> PcapSource {
        let options = CaptureOptions(csmPorts: Set(csmPorts.isEmpty ? [31000] : csmPorts))
        let capture = try LiveCapture(interface: interface, filter: filter, options: options)
        return PcapSource(capture: capture, recording: recording)
    }
}

/// CSM datagrams through a ``CSMListener``.
final class CSMSource: CallSource {
    let listener: CSMListener

    init(listener: CSMListener) {
        self.listener = listener
    }

    var status: String { "rejected datagrams \(listener.statistics.rejectedTotal)" }
    var lastActivity: Date? { listener.statistics.lastReceived }
    func stop() { listener.stop() }

    func summary(calls: Int, actions: Int) -> [String] {
        let stats = listener.statistics
        var summary = "iamscribe: \(stats.datagrams) datagrams, \(stats.events) events, \(calls) calls, \(actions) actions"
        if let first = stats.firstReceived, let last = stats.lastReceived, last > first {
            let span = last.timeIntervalSince(first)
            summary += String(format: " in %.3f s (%.0f events/s)", span, Double(stats.events) / span)
        }
        if !stats.rejected.isEmpty {
            summary += "; rejected: " + stats.rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            // A datagram counts once, by its first bad event: say so when some held more than one.
            let byEvent = stats.rejectedTotal - (stats.rejected["oversized"] ?? 0) - (stats.rejected["empty"] ?? 0)
            if stats.rejectedEventsTotal > byEvent { summary += " (\(stats.rejectedEventsTotal) events rejected)" }
        }
        var lines = [summary]
        if stats.kernelDrops > 0 {
            lines.append("iamscribe: warning: the kernel dropped \(stats.kernelDrops) datagram\(stats.kernelDrops == 1 ? "" : "s") (its receive queue was full); their calls are missing")
        }
        return lines
    }
}

/// Packets through a ``LiveCapture``: its events are consumed on a task of their own.
final class PcapSource: CallSource {
    let capture: LiveCapture
    private let consumer: Task<Void, Never>
    private let activity = Activity()

    /// When the last call came, shared with the consuming task.
    private final class Activity: Sendable {
        private let last = Mutex<Date?>(nil)
        func touch() { last.withLock { $0 = Date() } }
        var date: Date? { last.withLock { $0 } }
    }

    init(capture: LiveCapture, recording: Recording) {
        self.capture = capture
        let activity = self.activity
        consumer = Task.detached {
            for await event in capture.events {
                if case .call(let call) = event {
                    recording.add([call])
                    activity.touch()
                }
            }
        }
    }

    var status: String {
        let stats = capture.statistics
        return "packets \(stats.packets) · TLS endpoints \(stats.tlsEndpoints.count)"
    }

    var lastActivity: Date? { activity.date }

    func stop() {
        capture.stop()
        // The stream finishes once the capture has stopped; wait until every call is added.
        let done = DispatchSemaphore(value: 0)
        let consumer = self.consumer
        Task.detached {
            await consumer.value
            done.signal()
        }
        done.wait()
    }

    func summary(calls: Int, actions: Int) -> [String] {
        Output.captureReport("capture on \(capture.interface)", capture.statistics, calls: calls)
        var lines = ["iamscribe: \(calls) calls, \(actions) actions"]
        if capture.droppedPackets > 0 {
            lines.append("iamscribe: the kernel dropped \(capture.droppedPackets) packets (iamscribe did not read them fast enough)")
        }
        if let failure = capture.failure { lines.append("iamscribe: \(failure)") }
        return lines
    }
}
