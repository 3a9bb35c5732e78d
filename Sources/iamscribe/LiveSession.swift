import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import IAMScribeCore
import IAMScribeProxy
import Logging

/// What `record` and `run` share: starting the core's recording service, and showing it (the
/// policy redrawn on a terminal, a status line, the messages and the summary on exit).
final class LiveSession {
    let service: RecordingService
    /// Whether to redraw the policy on standard output while recording.
    let redraw: Bool
    /// The pause between two rounds of the loop: short enough to flush the journal several
    /// times a second.
    let tickInterval: TimeInterval

    private let statusOnTerminal = isatty(STDERR_FILENO) == 1
    private var drawnVersion = -1
    private var lastStatus = ""

    /// Sets up logging and signals, then starts the service on the source the options choose,
    /// printing the notes of a continued session.
    ///
    /// - Throws: What the service throws when the journal or the source cannot start.
    init(capture: CaptureModeOptions, csm: CSMListener.Configuration, policy: PolicyOptions, options: RecordingOptions,
         redraw: Bool, proxyListen: String = "127.0.0.1:10080") throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = options.verbose ? .debug : .warning
            return handler
        }
        Signals.install()
        self.redraw = redraw
        tickInterval = min(options.refreshRate, 0.1)
        let configuration = RecordingService.Configuration(
            builderOptions: policy.builderOptions, outputFile: policy.outputFile, session: options.session,
            refreshRate: options.refreshRate, output: policy.output)
        service = RecordingService(configuration: configuration, source: try capture.source(csm: csm, defaultListen: proxyListen))
        Output.diagnostics(try service.start(), atMost: .warning)
    }

    /// The CSM port the source listens on, when it is a CSM listener.
    var csmPort: Int? { (service.source as? CSMCallSource)?.port }

    /// The proxy, when the source is the HTTPS proxy.
    var proxy: ProxyCallSource? { service.source as? ProxyCallSource }

    /// Runs rounds until SIGINT or SIGTERM.
    func runUntilStopped() {
        while Signals.stop.load(ordering: .relaxed) == 0 {
            usleep(useconds_t(tickInterval * 1_000_000))
            tick()
        }
    }

    /// One round: SIGHUP's rewrite, the service's tick, and on a due tick the redraw and the
    /// status line.
    func tick() {
        if Signals.hangUp.exchange(false, ordering: .relaxed), let failure = service.hangUp() {
            Output.diagnostics([failure])
        }
        let tick = service.tick()
        Output.diagnostics(tick.messages)
        guard tick.due else { return }
        if redraw && tick.version != drawnVersion {
            Output.write("\u{1B}[H\u{1B}[2J" + text(of: service.policy.document))
            drawnVersion = tick.version
        }
        if statusOnTerminal {
            let policy = service.policy
            let status = "calls \(policy.report.calls) · actions \(policy.actions.count) · \(Self.status(service.source.statistics))"
            if status != lastStatus {
                Output.writeError("\r\u{1B}[K\(status)")
                lastStatus = status
            }
        }
    }

    /// Stops the source and makes the last writes, then prints their failures, the policy
    /// (when `printPolicy`, or when the output file could not take it), the report and the summary.
    ///
    /// - Returns: The service's summary.
    func finish(printPolicy: Bool) -> RecordingService.Summary {
        if statusOnTerminal && !lastStatus.isEmpty { Output.writeError("\r\u{1B}[K") }
        let summary = service.finish()
        Output.diagnostics(summary.diagnostics)
        let output = service.configuration.output
        let document = summary.policy.document
        let documents = output.documents(for: document)
        if printPolicy { Output.write((redraw ? "\u{1B}[H\u{1B}[2J" : "") + output.text(of: documents)) }
        Output.report(summary.policy)
        Output.size(documents, of: document, output: output,
                    files: service.configuration.outputFile.map { file in output.files(of: documents, path: file).map(\.path) })
        let calls = summary.policy.report.calls, actions = summary.policy.actions.count
        switch summary.source {
        case .csm(let stats):
            var line = "iamscribe: \(stats.datagrams) datagrams, \(stats.events) events, \(calls) calls, \(actions) actions"
            if let first = stats.firstReceived, let last = stats.lastReceived, last > first {
                let span = last.timeIntervalSince(first)
                line += Output.formatted(" in %.3f s (%.0f events/s)", span, Double(stats.events) / span)
            }
            if !stats.rejected.isEmpty {
                line += "; rejected: " + stats.rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                // A datagram counts once, by its first bad event: say so when some held more than one.
                let byEvent = stats.rejectedTotal - (stats.rejected["oversized"] ?? 0) - (stats.rejected["empty"] ?? 0)
                if stats.rejectedEventsTotal > byEvent { line += " (\(stats.rejectedEventsTotal) events rejected)" }
            }
            Output.note(line)
            if stats.kernelDrops > 0 {
                Output.note("iamscribe: warning: the kernel dropped \(plural(stats.kernelDrops, "datagram")) (its receive queue was full); their calls are missing")
            }
        case .capture(let interface, let statistics, let dropped, let failure):
            Output.captureReport("capture on \(interface)", statistics, calls: calls)
            Output.note("iamscribe: \(calls) calls, \(actions) actions")
            if dropped > 0 { Output.note("iamscribe: the kernel dropped \(dropped) packets (iamscribe did not read them fast enough)") }
            if let failure { Output.note("iamscribe: \(failure)") }
        case .proxy(let stats):
            var line = "iamscribe: proxy: \(plural(stats.connections, "connection")) (\(stats.intercepted) decrypted, \(stats.tunnelled) tunnelled\(stats.http2 > 0 ? "; \(stats.http2) over HTTP/2" : "")), \(plural(stats.exchanges, "exchange")), \(calls) calls, \(actions) actions"
            if stats.notAWS > 0 { line += "; \(stats.notAWS) not AWS requests" }
            if stats.unknownOperation > 0 { line += "; \(plural(stats.unknownOperation, "AWS request")) whose operation could not be told" }
            if !stats.rejected.isEmpty {
                line += "; connections closed: " + stats.rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            if stats.http2UpstreamStreams > 0 {
                line += "; \(plural(stats.http2UpstreamStreams, "stream")) over \(plural(stats.http2UpstreamConnections, "upstream HTTP/2 connection"))"
                if stats.http2UpstreamRetries > 0 {
                    line += " (\(plural(stats.http2UpstreamRetries, "request")) sent again, left unprocessed by a GOAWAY)"
                }
            }
            if stats.uploadsGivenLength + stats.uploadsSentChunked > 0 {
                line += "; HTTP/2 uploads without a length to HTTP/1.1: \(stats.uploadsGivenLength) given one, \(stats.uploadsSentChunked) sent chunked"
            }
            if !stats.http2StreamsReset.isEmpty {
                line += "; HTTP/2 streams reset: " + stats.http2StreamsReset.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            Output.note(line)
            if stats.upstreamFailures > 0 {
                Output.note("iamscribe: \(plural(stats.upstreamFailures, "request")) answered 502 as the upstream failed; the last: \(stats.lastUpstreamFailure ?? "")")
            }
        }
        return summary
    }

    /// The policy as the options render it for standard output (minimized and split with `--minimize`).
    func text(of document: PolicyDocument) -> String {
        let output = service.configuration.output
        return output.text(of: output.documents(for: document))
    }

    /// The end of the status line.
    private static func status(_ statistics: CallSourceStatistics) -> String {
        switch statistics {
        case .csm(let stats): "rejected datagrams \(stats.rejectedTotal)"
        case .capture(_, let stats, _, _): "packets \(stats.packets) · TLS endpoints \(stats.tlsEndpoints.count)"
        case .proxy(let stats): "exchanges \(stats.exchanges) · upstream failures \(stats.upstreamFailures)"
        }
    }
}

extension RecordingOptions {
    /// Refuses one path for both the journal and the output file: the policy would replace the journal.
    func validate(outputFile: String?) throws {
        guard let session, let outputFile else { return }
        func resolved(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        if resolved(session) == resolved(outputFile) {
            throw ValidationError("--session and --output-file name the same file (\(outputFile)): the policy would replace the journal. Give two files.")
        }
    }
}
