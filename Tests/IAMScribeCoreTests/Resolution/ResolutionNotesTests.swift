import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Resolution notes: bounded, whatever names calls give")
struct ResolutionNotesTests {
    func call(_ service: String, _ operation: String) -> ObservedCall {
        ObservedCall(source: .csm, time: Date(timeIntervalSince1970: 0), service: service, operation: operation)
    }

    // Issue 10, defect 2: unknown names were kept verbatim, one per distinct name, and the
    // resolution cache kept up to 100k of them, of up to 8 KB each.
    @Test("70,000 distinct unknown operations: a bounded number of examples, cut short, and the right count")
    func boundedUnknownNames() throws {
        let padding = String(repeating: "x", count: 300)
        let calls = (0..<70_000).map { call("S3", "Op\($0)\(padding)") }
            + (0..<3).map { call("NoSuchService\($0)", "Foo") }
        var builder = PolicyBuilder()
        for call in calls { builder.add(call) }
        let unknown = builder.report.notes.unknown
        #expect(unknown.operationCalls == 70_000)
        #expect(unknown.serviceCalls == 3)
        #expect(unknown.examples.count == UnknownNames.examplesPerKind + 3)
        for example in unknown.examples {
            #expect(example.service.unicodeScalars.count <= UnknownNames.nameLimit + 1)
            #expect(example.operation.unicodeScalars.count <= UnknownNames.nameLimit + 1)
        }
        let first = try #require(unknown.examples.first)
        #expect(first.operation == "Op0" + String(repeating: "x", count: UnknownNames.nameLimit - 3) + "…")
        #expect(first.reason == "unknown operation of service 's3'")
        #expect(builder.cachedResolutions == 0)

        // Shared out among threads, the same notes.
        var threaded = PolicyBuilder()
        threaded.add(contentsOf: calls)
        #expect(threaded.report == builder.report)

        // The diff's notes, and its JSON, stay as small.
        var diff = PolicyDiff(policies: [])
        for call in calls { diff.add(call) }
        let notes = diff.report().notes
        #expect(notes.unknown.calls(.operation) == 70_000 && notes.unknown.calls(.service) == 3)
        #expect(notes.unknown.examples.map(\.name) == unknown.examples.map(\.name))
        let json = try JSONEncoder().encode(notes)
        #expect(json.count < 4096)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect((object["unknown"] as? [String: String])?.count == UnknownNames.examplesPerKind + 3)
        #expect(object["unknownCalls"] as? [String: Int] == ["service": 3, "operation": 70_000])
        #expect(try JSONDecoder().decode(ResolutionNotes.self, from: json).unknown.calls == 70_003)
    }

    @Test("The resolution cache keeps known names only, and only so many spellings of them")
    func boundedCache() {
        var builder = PolicyBuilder()
        // Every spelling of two operations, by case: more than the cache holds.
        var added = 0
        for (services, operation) in [(["s3", "S3"], "ListObjectsV2"), (["sqs", "SQS"], "ListQueues")] {
            let letters = Array(operation)
            for service in services {
                for mask in 0..<(1 << letters.count) {
                    let spelled = String(letters.enumerated().map { index, letter in
                        Character(mask & (1 << index) != 0 ? letter.uppercased() : letter.lowercased())
                    })
                    builder.add(call(service, spelled))
                    added += 1
                }
            }
        }
        #expect(builder.actions == ["s3:ListBucket", "sqs:ListQueues"])
        #expect(builder.cachedResolutions <= 16_384)
        #expect(builder.cachedResolutions > 0)
        builder.add(call("S3", String(repeating: "A", count: 8192)))
        builder.add(call("S3" + String(repeating: " ", count: 200), "GetObject"))
        #expect(builder.cachedResolutions <= 16_384)
        #expect(builder.report.calls == added + 2)
    }

    @Test("The same unknown name repeated is one example; examples keep the first distinct names")
    func examples() {
        var unknown = UnknownNames()
        for _ in 0..<10 { unknown.add(.service, service: "Nope", operation: "Foo") }
        let long = String(repeating: "é", count: 100)
        unknown.add(.service, service: long, operation: "Foo")
        unknown.add(.service, service: long, operation: "Foo")
        unknown.add(.service, service: long + "z", operation: "Foo")
        #expect(unknown.serviceCalls == 13)
        // Two names that differ past the cut are one example.
        #expect(unknown.examples.map(\.service) == ["Nope", String(repeating: "é", count: UnknownNames.nameLimit) + "…"])
        for index in 0..<10 { unknown.add(.service, service: "S\(index)", operation: "Foo") }
        #expect(unknown.examples.count == UnknownNames.examplesPerKind)
        #expect(unknown.serviceCalls == 23)
    }

    @Test("Notes read back from JSON")
    func codable() throws {
        var notes = ResolutionNotes()
        notes.record(.unknownService, of: call("Nope", "Foo"))
        notes.record(.unknownOperation(try #require(ActionTable.bundled.service(named: "s3"))), of: call("S3", "Nope"))
        notes.permissionless["sts:GetCallerIdentity"] = 2
        notes.noteMayAlsoNeed("kms:Decrypt", neededBy: "S3 GetObject", decision: "allow")
        notes.noteMayAlsoNeed("kms:Decrypt", neededBy: "S3 GetObject", decision: "deny")
        notes.noteMayAlsoNeed("kms:Decrypt", neededBy: "S3 CopyObject", decision: "deny")
        #expect(notes.mayAlsoNeed == [.init(action: "kms:Decrypt", neededBy: ["S3 CopyObject", "S3 GetObject"], decision: "conditional")])
        let decoded = try JSONDecoder().decode(ResolutionNotes.self, from: JSONEncoder().encode(notes))
        #expect(decoded == notes)
    }
}
