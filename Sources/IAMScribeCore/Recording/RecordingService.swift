#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// A live recording from start to finish: a source's calls in, the session journal, the policy
/// and the output file out.
///
/// The service owns everything but the terminal and the signals. The caller (the CLI) starts
/// it, calls ``tick(now:)`` several times a second (and ``hangUp()`` on SIGHUP), then
/// ``finish()``; it prints what the service returns. The service never prints.
///
/// ```swift
/// let service = RecordingService(configuration: .init(outputFile: "policy.json"), source: CSMCallSource(configuration: .init()))
/// let notes = try service.start()
/// while !stopped { service.tick(); usleep(100_000) }
/// let summary = service.finish()
/// ```
public final class RecordingService {
    /// What to record into.
    public struct Configuration: Sendable {
        /// Which calls count and how the policy is ordered.
        public var builderOptions: PolicyBuilder.Options
        /// The file the policy is written to (atomically) on change, on ``RecordingService/hangUp()`` and on finish.
        public var outputFile: String?
        /// The session journal: loaded on start, appended to as calls arrive.
        public var session: String?
        /// The least time between two rewrites of the output file, in seconds.
        public var refreshRate: TimeInterval
        /// The output file's format, and whether the policy is minimized (and split) first.
        public var output: PolicyOutput

        /// Creates a configuration.
        public init(builderOptions: PolicyBuilder.Options = .init(), outputFile: String? = nil, session: String? = nil,
                    refreshRate: TimeInterval = 0.1, output: PolicyOutput = PolicyOutput()) {
            self.builderOptions = builderOptions
            self.outputFile = outputFile
            self.session = session
            self.refreshRate = refreshRate
            self.output = output
        }
    }

    /// What one ``RecordingService/tick(now:)`` did.
    public struct Tick: Sendable {
        /// Whether a refresh was due (at most one per refresh rate): redraw now if ``version`` moved.
        public var due: Bool
        /// The policy's change counter.
        public var version: Int
        /// New failures (a journal or output write), each reported once until it clears: errors,
        /// though the recording goes on.
        public var messages: [Diagnostic]
    }

    /// How a recording ended.
    public struct Summary: Sendable {
        /// The final policy, with its report.
        public var policy: PolicyBuilder
        /// What the source saw.
        public var source: CallSourceStatistics
        /// Why the journal's last lines could not be written, if they could not.
        public var journalFailure: String?
        /// Why the output file could not be written, if it could not.
        public var outputFailure: String?

        /// Whether every final write succeeded.
        public var succeeded: Bool { journalFailure == nil && outputFailure == nil }

        /// The final writes' failures, as errors.
        public var diagnostics: [Diagnostic] { [journalFailure, outputFailure].compactMap { $0.map { .error($0) } } }
    }

    /// The configuration.
    public let configuration: Configuration
    /// Where the calls come from.
    public let source: any CallSource
    private var recording: Recording
    private let table: ActionTable
    private var lastRefresh = Date.distantPast
    private var writtenVersion = 0
    private var lastJournalError: String?
    private var lastOutputError: String?
    /// How many files the last write of the output file made (more than one: a split JSON policy).
    private var writtenParts = 1
    private var finished: Summary?

    /// Creates a service; nothing starts until ``start()``.
    ///
    /// - Parameters:
    ///   - configuration: The output file, the journal, the policy's options.
    ///   - source: Where calls come from.
    ///   - table: The action table.
    public init(configuration: Configuration, source: any CallSource, table: ActionTable = .bundled) {
        self.configuration = configuration
        self.source = source
        self.table = table
        recording = Recording(builder: PolicyBuilder(table: table, options: configuration.builderOptions))
    }

    /// Opens the journal, starts the source, then loads the journal's calls.
    ///
    /// The source is started (its port bound) before the journal is loaded, so calls sent right
    /// after a restart are not lost; they enter the policy after the journal's calls.
    ///
    /// - Returns: Notes for the user: lines of the journal that could not be read, and how many
    ///   calls it continued with.
    /// - Throws: ``IAMScribeError``: the journal cannot be opened or is not a journal
    ///   (`.unwritableOutput`, `.invalidInput`), or the source cannot start.
    @discardableResult
    public func start() throws -> [Diagnostic] {
        var journal: SessionJournalWriter?
        if let session = configuration.session { journal = try SessionJournalWriter(path: session) }
        let loadable = journal?.loadableBytes ?? 0
        recording = Recording(builder: PolicyBuilder(table: table, options: configuration.builderOptions), journal: journal)
        if loadable > 0 { recording.beginLoading() }
        let recording = self.recording
        do {
            try source.start { calls in recording.add(calls) }
        } catch {
            recording.finishLoading([])
            throw error
        }
        guard loadable > 0, let session = configuration.session else { return [] }
        return loadSession(session, bytes: loadable)
    }

    private func loadSession(_ path: String, bytes count: Int) -> [Diagnostic] {
        var bytes: [UInt8] = []
        var notes: [Diagnostic] = []
        do {
            bytes = try InputFile.read(path: path, upTo: count)
        } catch {
            notes.append(.error("cannot read the session journal: \(error)", at: .init(file: path)))
        }
        let (calls, problems) = SessionJournal.read(bytes)
        recording.finishLoading(calls)
        // The session continues from the lines that could be read.
        notes += problems.map { $0.inFile(path).withSeverity(min($0.severity, .warning)) }
        if !calls.isEmpty { notes.append(.note("continuing the session in \(path) (\(plural(calls.count, "call")))")) }
        return notes
    }

    /// The policy's change counter.
    public var version: Int { recording.version }

    /// The policy so far, with its report.
    public var policy: PolicyBuilder { recording.snapshot }

    /// One round: flushes the journal; when a refresh is due (at most once per refresh rate)
    /// and the policy changed, rewrites the output file.
    ///
    /// - Parameter now: The time (for tests).
    @discardableResult
    public func tick(now: Date = Date()) -> Tick {
        var messages: [Diagnostic] = []
        let journalError = recording.flushJournal()
        if let journalError, journalError != lastJournalError { messages.append(.error(journalError)) }
        lastJournalError = journalError
        let version = recording.version
        guard now.timeIntervalSince(lastRefresh) >= configuration.refreshRate else {
            return Tick(due: false, version: version, messages: messages)
        }
        lastRefresh = now
        if version != writtenVersion {
            if let message = writeOutput(reportingRepeats: false) { messages.append(.error(message)) }
            writtenVersion = version
        }
        return Tick(due: true, version: version, messages: messages)
    }

    /// Rewrites the output file now (on SIGHUP), whether or not the policy changed.
    ///
    /// - Returns: Why it could not be written, or nil.
    public func hangUp() -> Diagnostic? {
        let version = recording.version
        let failure = writeOutput(reportingRepeats: true)
        writtenVersion = version
        return failure.map { .error($0) }
    }

    /// Waits for late calls: until the source has been quiet for `quiet` seconds, for at most
    /// four times that, or until `shouldStop` says so (a second SIGTERM).
    ///
    /// - Parameters:
    ///   - quiet: How long the source must have been quiet, in seconds.
    ///   - shouldStop: Checked every 20 ms.
    public func drain(quiet: TimeInterval, shouldStop: () -> Bool) {
        let quiet = max(quiet, 0)
        let deadline = Date().addingTimeInterval(quiet * 4)
        while Date() < deadline && !shouldStop() {
            let last = source.lastActivity ?? .distantPast
            if Date().timeIntervalSince(last) >= quiet { break }
            usleep(20_000)
        }
    }

    /// Stops the source (delivering what it still holds), then writes the journal and the output
    /// file a last time. Calling it again returns the same summary.
    ///
    /// - Returns: The final policy, the source's statistics, and the final writes' failures.
    public func finish() -> Summary {
        if let finished { return finished }
        source.stop()
        let journalFailure = recording.flushJournal()
        var outputFailure: String?
        if let file = configuration.outputFile {
            do {
                try writePolicy(to: file)
            } catch {
                outputFailure = "\(error)"
            }
        }
        let summary = Summary(policy: recording.snapshot, source: source.statistics, journalFailure: journalFailure,
                              outputFailure: outputFailure)
        finished = summary
        return summary
    }

    /// Writes the output file; returns a failure unless it repeats the last one (and
    /// `reportingRepeats` is false): the recording goes on either way.
    private func writeOutput(reportingRepeats: Bool) -> String? {
        guard let file = configuration.outputFile else { return nil }
        do {
            try writePolicy(to: file)
            lastOutputError = nil
            return nil
        } catch {
            let message = "\(error)"
            defer { lastOutputError = message }
            return reportingRepeats || message != lastOutputError ? message : nil
        }
    }

    /// Writes the policy in the configured format to `file` (and, for a split JSON policy, the
    /// numbered files beside it), then removes the numbered files of an earlier write that the
    /// policy no longer needs: a reader must not take a stale part for a current one.
    private func writePolicy(to file: String) throws {
        let output = configuration.output
        let files = output.files(of: output.documents(for: recording.snapshot.document), path: file)
        for part in files { try AtomicFile.write(Data(part.text.utf8), to: part.path) }
        if writtenParts > files.count {
            for number in (files.count + 1)...writtenParts where number > 1 { unlink(PolicyOutput.numbered(file, number)) }
        }
        writtenParts = files.count
    }
}
