import Foundation
import IAMScribeCore
import Testing

/// Service and operation names are whatever a datagram or a file says: many, long, or made to
/// act on the terminal that shows them (issue 10, defects 1 to 3).
@Suite("Hostile service and operation names, through the binary")
struct HostileNamesTests {
    /// One CSM `ApiCall` event line; the names are JSON string contents (escapes allowed).
    static func event(_ service: String, _ operation: String) -> String {
        #"{"Version":1,"ClientId":"hostile","Type":"ApiCall","Service":"\#(service)","Api":"\#(operation)","Timestamp":1795911864406,"AttemptCount":1,"Region":"us-east-1","FinalHttpStatusCode":200,"Latency":1}"#
    }

    /// Names with ESC (a window-title sequence and a screen clear), BEL, a right-to-left override,
    /// a C1 CSI and a newline.
    static let hostileLines = [
        event(#"\u001b]0;pwned\u0007S3"#, "GetObject"),
        event("S3", #"Get\u202eObject\u001b[2J"#),
        event(#"evil\u009b2J\nwarning: forged"#, #"Op\u0007"#),
        event("SQS", "SendMessage"),
    ]

    /// Whether text holds a character that could act on a terminal (newlines and tabs aside).
    static func rawControls(_ text: String) -> [Unicode.Scalar] {
        text.unicodeScalars.filter { $0 != "\n" && $0 != "\t" && TerminalText.needsEscape($0) }
    }

    // Defect 1: each distinct unknown name ran a "did you mean" search (10k names took 18 s);
    // defect 2: each was kept verbatim and printed in the exit summary.
    @Test("generate on 10,000 distinct unknown names: the valid calls' policy, and a short report",
          .timeLimit(.minutes(2)))
    func manyUnknownNames() throws {
        var lines: [String] = [Self.event("S3", "GetObject")]
        for index in 0..<5_000 {
            lines.append(Self.event("NoSuchService\(index)", "Thing"))
            lines.append(Self.event("DynamoDB", "GetItemNo\(index)"))
        }
        lines.append(Self.event("SQS", "SendMessage"))
        let result = try Binary.run(["generate", "-"], input: lines.joined(separator: "\n") + "\n")
        #expect(result.status == 0)
        let policy = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let statement = try #require((policy["Statement"] as? [[String: Any]])?.first)
        #expect(statement["Action"] as? [String] == ["s3:GetObject", "sqs:SendMessage"])
        #expect(result.stderr.contains("5000 calls named an unknown service"))
        #expect(result.stderr.contains("5000 calls named an unknown operation"))
        #expect(result.stderr.utf8.count < 4096, "\(result.stderr.utf8.count) bytes of report")
    }

    // Defect 3: names were printed raw in generate's warnings and in diff's NOTES.
    @Test("generate: no raw control character reaches standard output or standard error")
    func generateEscapes() throws {
        let result = try Binary.run(["generate", "-"], input: Self.hostileLines.joined(separator: "\n") + "\n")
        #expect(result.status == 0)
        #expect(Self.rawControls(result.stdout).isEmpty)
        #expect(Self.rawControls(result.stderr).isEmpty, "\(result.stderr.unicodeScalars.map { String($0.value, radix: 16) })")
        #expect(result.stderr.contains(#"\u{1B}]0;pwned\u{7}S3.GetObject: unknown service"#))
        #expect(result.stderr.contains(#"S3.Get\u{202E}Object\u{1B}[2J: unknown operation of service 's3'"#))
        // The newline in a name cannot forge a line of its own.
        #expect(!result.stderr.contains("\nwarning: forged"))
        #expect(result.stdout.contains("sqs:SendMessage"))
    }

    @Test("diff, text and JSON: no raw control character reaches the terminal")
    func diffEscapes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let policy = directory.appendingPathComponent("role.json")
        try #"{"Version":"2012-10-17","Statement":[{"Sid":"A\u001b[2J\u202e","Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#
            .write(to: policy, atomically: true, encoding: .utf8)
        let calls = directory.appendingPathComponent("calls.jsonl")
        try (Self.hostileLines.joined(separator: "\n") + "\n").write(to: calls, atomically: true, encoding: .utf8)

        let text = try Binary.run(["diff", "--policy", policy.path, calls.path])
        #expect(text.stdout.contains("NOTES"))
        #expect(text.stdout.contains(#"\u{1B}]0;pwned\u{7}S3.GetObject: unknown service: not evaluated"#))
        #expect(Self.rawControls(text.stdout).isEmpty, "\(text.stdout)")
        #expect(Self.rawControls(text.stderr).isEmpty)

        let evaluate = try Binary.run(["evaluate", "--policy", policy.path, "sqs:SendMessage"])
        #expect(evaluate.stdout.contains(#"A\u{1B}[2J\u{202E}"#))
        #expect(Self.rawControls(evaluate.stdout).isEmpty)

        let json = try Binary.run(["diff", "--format", "json", "--policy", policy.path, calls.path])
        #expect(Self.rawControls(json.stdout).isEmpty)
        #expect(Self.rawControls(json.stderr).isEmpty)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let notes = try #require(report["notes"] as? [String: Any])
        let unknown = try #require(notes["unknown"] as? [String: String])
        #expect(unknown["\u{1B}]0;pwned\u{7}S3.GetObject"] == "unknown service")
        #expect(notes["unknownCalls"] as? [String: Int] == ["service": 2, "operation": 1])
    }
}
