import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Diagnostics")
struct DiagnosticTests {
    @Test("One line: severity, location, message; each part of the location only when known")
    func rendering() {
        #expect(Diagnostic.error("invalid JSON: not a JSON object", at: .init(file: "calls.jsonl", line: 3)).description
                == "error: calls.jsonl: line 3: invalid JSON: not a JSON object")
        #expect(Diagnostic.warning("damaged", at: .init(file: "t.pcap", record: 151)).description == "warning: t.pcap: record 151: damaged")
        #expect(Diagnostic.note("read", at: .init(file: "f", offset: 40)).description == "note: f: byte 40: read")
        #expect(Diagnostic.warning("no place").description == "warning: no place")
        #expect(Diagnostic.error("x", at: .init()).description == "error: x")
    }

    @Test("A file fills a location that has none; a severity can be lowered; errors are found")
    func changes() {
        let located = Diagnostic.error("bad", at: .init(line: 2)).inFile("a.jsonl")
        #expect(located.location == .init(file: "a.jsonl", line: 2))
        #expect(located.inFile("b.jsonl").location?.file == "a.jsonl")
        #expect(located.withSeverity(.warning).description == "warning: a.jsonl: line 2: bad")
        #expect(Diagnostic.Severity.note < .warning && Diagnostic.Severity.warning < .error)
        #expect([located].containsError)
        #expect(![located.withSeverity(.warning), .note("n")].containsError)
    }

    @Test("Inputs locate their errors: a CSM line by number, a journal line, a capture's damaged record")
    func inputLocations() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-diagnostics-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let csm = directory.appendingPathComponent("calls.jsonl")
        try Data("{\"Version\":1,\"Type\":\"ApiCall\",\"Service\":\"S3\",\"Api\":\"ListBuckets\"}\n\n{bad\n".utf8).write(to: csm)
        let lines = try CallInput.read(path: csm.path)
        #expect(lines.calls.count == 1)
        #expect(lines.diagnostics.map(\.location) == [.init(file: csm.path, line: 3)])
        #expect(lines.diagnostics.first?.severity == .error)
        #expect(lines.isDamaged && !lines.isUnreadable)

        let journal = directory.appendingPathComponent("session.jsonl")
        try Data((SessionJournal.headerLine() + "{\"source\":\"csm\"\n").utf8).write(to: journal)
        let session = try CallInput.read(path: journal.path)
        #expect(session.diagnostics.map(\.location) == [.init(file: journal.path, line: 2)])
        #expect(session.isUnreadable)

        var bytes = try [UInt8](Data(contentsOf: Fixtures.url("aws-moto.pcap")))
        bytes.removeLast(10)
        let capture = directory.appendingPathComponent("cut.pcap")
        try Data(bytes).write(to: capture)
        let cut = try CallInput.read(path: capture.path)
        let damage = try #require(cut.diagnostics.first)
        #expect(damage.severity == .error)
        #expect(damage.location?.file == capture.path)
        #expect(damage.location?.record == (cut.capture?.packets ?? 0) + 1)
        #expect(damage.message.contains("the capture is damaged after"))
    }
}
