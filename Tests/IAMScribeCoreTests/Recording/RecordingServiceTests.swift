import Foundation
import Synchronization
import TestSupport
import Testing
@testable import IAMScribeCore

/// A source that delivers what a test gives it, at start and on demand.
final class ScriptedSource: CallSource {
    private let state = Mutex<(deliver: (@Sendable ([ObservedCall]) -> Void)?, stopped: Bool)>((nil, false))
    private let atStart: [ObservedCall]

    init(deliveringAtStart calls: [ObservedCall] = []) {
        atStart = calls
    }

    func start(delivering deliver: @escaping @Sendable ([ObservedCall]) -> Void) throws {
        state.withLock { $0.deliver = deliver }
        if !atStart.isEmpty { deliver(atStart) }
    }

    func send(_ calls: [ObservedCall]) {
        state.withLock { $0.deliver }?(calls)
    }

    func stop() { state.withLock { $0.stopped = true } }
    var stopped: Bool { state.withLock { $0.stopped } }
    var lastActivity: Date? { nil }
    var statistics: CallSourceStatistics { .csm(CSMListener.Statistics()) }
}

@Suite("Recording service")
struct RecordingServiceTests {
    static func call(_ service: String, _ operation: String) -> ObservedCall {
        ObservedCall(source: .csm, time: Date(timeIntervalSince1970: 1_795_910_227.5), service: service, operation: operation)
    }

    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-service-\(UUID())-\(name)").path
    }

    @Test("Output rewrites are coalesced to the refresh rate; SIGHUP's rewrite is immediate; the last write is on finish")
    func outputRewrites() throws {
        let output = temporary("policy.json")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let source = ScriptedSource()
        let service = RecordingService(configuration: .init(outputFile: output, refreshRate: 10), source: source)
        #expect(try service.start().isEmpty)
        let start = Date()
        source.send([Self.call("SQS", "SendMessage")])
        #expect(service.tick(now: start).due)
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("sqs:SendMessage"))
        source.send([Self.call("SNS", "Publish")])
        // Within the refresh rate: not rewritten.
        #expect(!service.tick(now: start.addingTimeInterval(1)).due)
        #expect(try !String(contentsOfFile: output, encoding: .utf8).contains("sns:Publish"))
        #expect(service.hangUp() == nil)
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("sns:Publish"))
        source.send([Self.call("S3", "GetObject")])
        let summary = service.finish()
        #expect(source.stopped)
        #expect(summary.succeeded)
        #expect(summary.policy.actions == ["s3:GetObject", "sns:Publish", "sqs:SendMessage"])
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("s3:GetObject"))
    }

    @Test("Unwritable output and journal: the failures are reported once while recording, and in the summary (issue 10, defect 9)")
    func writeFailures() throws {
        let source = ScriptedSource()
        let service = RecordingService(configuration: .init(outputFile: "/nonexistent-iamscribe/policy.json", session: "/dev/full",
                                                            refreshRate: 0.01), source: source)
        try service.start()
        source.send([Self.call("SQS", "SendMessage")])
        let first = service.tick(now: Date())
        #expect(first.messages.count == 2)
        #expect(first.messages.allSatisfy { $0.severity == .error })
        #expect(first.messages.contains { $0.message.contains("cannot write the session journal /dev/full") })
        #expect(first.messages.contains { $0.message.contains("cannot write /nonexistent-iamscribe/policy.json") })
        source.send([Self.call("SNS", "Publish")])
        #expect(service.tick(now: Date().addingTimeInterval(1)).messages.isEmpty)
        let summary = service.finish()
        #expect(!summary.succeeded)
        #expect(summary.journalFailure?.contains("No space left on device") == true)
        #expect(summary.outputFailure != nil)
        #expect(summary.policy.actions == ["sns:Publish", "sqs:SendMessage"])
    }

    @Test("A full disk under the output file is a failure (issue 10, defect 9)")
    func outputDiskFull() throws {
        let service = RecordingService(configuration: .init(outputFile: "/dev/full"), source: ScriptedSource())
        try service.start()
        #expect(service.finish().outputFailure?.contains("No space left on device") == true)
    }

    @Test("A restart loads the journal after the source started; calls arriving meanwhile come after the journal's and are kept (issue 10, defect 8)")
    func sessionRestart() throws {
        let journal = temporary("session.jsonl")
        defer { try? FileManager.default.removeItem(atPath: journal) }
        let first = RecordingService(configuration: .init(session: journal), source: ScriptedSource(deliveringAtStart: [Self.call("SQS", "SendMessage")]))
        #expect(try first.start().isEmpty)
        #expect(first.finish().succeeded)

        // The new source delivers during start, before the journal is loaded.
        let source = ScriptedSource(deliveringAtStart: [Self.call("SNS", "Publish")])
        let second = RecordingService(configuration: .init(builderOptions: .init(order: .firstSeen), session: journal), source: source)
        let notes = try second.start()
        #expect(notes.map(\.description) == ["note: continuing the session in \(journal) (1 call)"])
        #expect(second.policy.actions == ["sqs:SendMessage", "sns:Publish"])
        source.send([Self.call("S3", "GetObject")])
        #expect(second.finish().policy.actions == ["sqs:SendMessage", "sns:Publish", "s3:GetObject"])
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.last?.contains("GetObject") == true)
    }

    @Test("A file that is not a journal is refused before the source starts")
    func notAJournal() throws {
        let path = temporary("notes.txt")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "my notes\n".write(toFile: path, atomically: true, encoding: .utf8)
        let source = ScriptedSource()
        let service = RecordingService(configuration: .init(session: path), source: source)
        #expect(throws: IAMScribeError.self) { try service.start() }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "my notes\n")
    }

    @Test("A CSM listener source: calls from datagrams reach the policy; statistics come back in the summary")
    func csmSource() throws {
        let source = CSMCallSource(configuration: .init(port: 0))
        let service = RecordingService(configuration: .init(), source: source)
        try service.start()
        let port = try #require(source.port)
        for index in 0..<200 {
            Loopback.send(Array(#"{"Version":1,"Type":"ApiCall","Service":"SQS","Api":"SendMessage","ClientId":"\#(index)"}"#.utf8), port: port)
        }
        let deadline = Date().addingTimeInterval(5)
        while service.policy.report.calls < 200 && Date() < deadline { usleep(10_000) }
        let summary = service.finish()
        #expect(summary.policy.report.calls == 200)
        #expect(summary.policy.actions == ["sqs:SendMessage"])
        guard case .csm(let stats) = summary.source else {
            Issue.record("not CSM statistics")
            return
        }
        #expect(stats.events == 200)
        #expect(source.port == nil)
    }

    @Test("The output file is rewritten in the configured format; a minimized policy over the quota goes to numbered files")
    func outputFormats() throws {
        let output = temporary("policy.tf")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let source = ScriptedSource()
        let service = RecordingService(configuration: .init(outputFile: output, refreshRate: 0, output: PolicyOutput(format: .terraform)),
                                       source: source)
        #expect(try service.start().isEmpty)
        source.send([Self.call("SQS", "SendMessage")])
        #expect(service.tick().due)
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.hasPrefix("data \"aws_iam_policy_document\" \"iamscribe\" {\n"))
        #expect(text.contains("\"sqs:SendMessage\""))
        #expect(service.finish().succeeded)

        // Every third operation of every service: thousands of actions no wildcard gathers
        // enough of to fit 6,144 characters.
        let json = temporary("policy.json")
        let table = ActionTable.bundled
        var calls: [ObservedCall] = []
        for service in table.services {
            for (index, operation) in table.operations(of: service).enumerated() where index % 3 == 0 {
                calls.append(Self.call(service.module, operation.name))
            }
        }
        let big = ScriptedSource(deliveringAtStart: calls)
        let minimizing = RecordingService(configuration: .init(outputFile: json, refreshRate: 0, output: PolicyOutput(minimize: true)), source: big)
        #expect(try minimizing.start().isEmpty)
        let summary = minimizing.finish()
        #expect(summary.succeeded)
        let parts = PolicyOutput(minimize: true).documents(for: summary.policy.document)
        #expect(parts.count > 1)
        let paths = [json] + (2...parts.count).map { PolicyOutput.numbered(json, $0) }
        defer { for path in paths { try? FileManager.default.removeItem(atPath: path) } }
        for (path, part) in zip(paths, parts) {
            let written = try String(contentsOfFile: path, encoding: .utf8)
            #expect(written == part.json)
            #expect(part.quotaSize <= PolicyQuota.managedPolicy.limit)
        }
        #expect(!FileManager.default.fileExists(atPath: PolicyOutput.numbered(json, parts.count + 1)))
    }
}
