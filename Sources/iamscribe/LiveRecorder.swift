import Foundation
import IAMScribeCore
import Logging

/// Drives a recording until it is told to stop: redraws the policy on a terminal, rewrites the
/// output file, flushes the journal, and answers SIGHUP, SIGINT and SIGTERM.
final class LiveRecorder {
    let recording: Recording
    let policy: PolicyOptions
    let options: RecordingOptions
    /// Whether to redraw the policy on standard output while recording.
    let redraw: Bool
    /// Where the calls come from (for the status line and the summary).
    let source: any CallSource

    private let statusOnTerminal = isatty(STDERR_FILENO) == 1
    private var drawnVersion = -1
    private var writtenVersion: Int
    private var lastDraw = Date.distantPast
    private var lastStatus = ""
    private var lastJournalError: String?

    init(recording: Recording, policy: PolicyOptions, options: RecordingOptions, redraw: Bool, source: any CallSource) {
        self.recording = recording
        self.policy = policy
        self.options = options
        self.redraw = redraw
        self.source = source
        writtenVersion = recording.version
    }

    /// The pause between two ticks: short enough to flush the journal several times a second.
    var tickInterval: useconds_t { useconds_t(min(options.refreshRate, 0.1) * 1_000_000) }

    /// Runs ticks until SIGINT or SIGTERM.
    ///
    /// - Returns: The stop signal received.
    func runUntilStopped() -> Int32 {
        while Signals.stop.load(ordering: .relaxed) == 0 {
            usleep(tickInterval)
            tick()
        }
        clearStatus()
        return Signals.stop.load(ordering: .relaxed)
    }

    /// One round: flush the journal; on change (coalesced to the refresh rate) or SIGHUP, rewrite
    /// the output file and redraw; update the status line.
    func tick() {
        if let error = recording.flushJournal(), error != lastJournalError {
            Output.error(error)
            lastJournalError = error
        }
        let version = recording.version
        let now = Date()
        let due = now.timeIntervalSince(lastDraw) >= options.refreshRate
        if Signals.hangUp.exchange(false, ordering: .relaxed) {
            writeOutput()
            writtenVersion = version
        }
        guard due else { return }
        if version != writtenVersion {
            writeOutput()
            writtenVersion = version
        }
        if redraw && version != drawnVersion {
            Output.write("\u{1B}[H\u{1B}[2J" + recording.snapshot.document.json)
            drawnVersion = version
        }
        lastDraw = now
        if statusOnTerminal {
            let status = statusLine()
            if status != lastStatus {
                FileHandle.standardError.write(Data("\r\u{1B}[K\(status)".utf8))
                lastStatus = status
            }
        }
    }

    func clearStatus() {
        if statusOnTerminal && !lastStatus.isEmpty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    func statusLine() -> String {
        let builder = recording.snapshot
        return "calls \(builder.report.calls) · actions \(builder.actions.count) · \(source.status)"
    }

    /// Writes the output file, reporting (not throwing) a failure: the recording goes on.
    func writeOutput() {
        guard let file = policy.outputFile else { return }
        do {
            try AtomicFile.write(Data(recording.snapshot.document.json.utf8), to: file)
        } catch {
            Output.error("\(error)")
        }
    }

    /// The last writes on exit: journal, output file, then the policy and report.
    func finish(printPolicy: Bool) {
        if let error = recording.flushJournal() { Output.error(error) }
        writeOutput()
        let builder = recording.snapshot
        if printPolicy { Output.write((redraw ? "\u{1B}[H\u{1B}[2J" : "") + builder.document.json) }
        Output.report(builder)
        for line in source.summary(calls: builder.report.calls, actions: builder.actions.count) { Output.note(line) }
    }

    /// Opens the journal and loads the calls it already holds into the recording.
    static func openSession(_ path: String?, builder: inout PolicyBuilder) throws -> SessionJournalWriter? {
        guard let path else { return nil }
        if FileManager.default.fileExists(atPath: path) {
            let previous = try CallInput.read(path: path)
            guard previous.format == .session || previous.calls.isEmpty && previous.diagnostics.isEmpty else {
                throw IAMScribeError(.invalidInput, "\(path) exists and is not an iamscribe session journal; choose another --session file")
            }
            // The session continues from the lines that could be read.
            Output.diagnostics(previous.diagnostics, atMost: .warning)
            for call in previous.calls { builder.add(call) }
            if !previous.calls.isEmpty { Output.note("iamscribe: continuing the session in \(path) (\(previous.calls.count) calls)") }
        }
        return try SessionJournalWriter(path: path)
    }

    static func bootstrapLogging(verbose: Bool) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .debug : .warning
            return handler
        }
    }
}
