import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Call classifier: one resolution path for the policy builder and the evaluator")
struct CallClassifierTests {
    func call(_ service: String, _ operation: String, parameters: [String: String]? = nil) -> ObservedCall {
        ObservedCall(source: .csm, time: Date(timeIntervalSince1970: 0), service: service, operation: operation, parameters: parameters)
    }

    /// A table of its own, so that the suggestion counter counts only this test's searches.
    func freshTable() throws -> ActionTable {
        try ActionTable(bytes: bundledActionTableText.withUTF8Buffer { Array($0) })
    }

    @Test("Mapped, permissionless, unknown service and unknown operation")
    func classes() throws {
        let classifier = CallClassifier()
        guard case .mapped(let lambda) = classifier.classify(call("Lambda", "CreateFunction")) else {
            Issue.record("expected mapped")
            return
        }
        #expect(lambda.actions == ["lambda:CreateFunction", "iam:PassRole"])
        #expect(lambda.operationName == "Lambda CreateFunction")
        guard case .mapped(let tagged) = classifier.classify(call("IAM", "CreateRole", parameters: ["RoleName": "r", "Tags": "x"])),
              case .mapped(let untagged) = classifier.classify(call("IAM", "CreateRole")) else {
            Issue.record("expected mapped")
            return
        }
        #expect(tagged.actions.contains("iam:TagRole"))
        #expect(untagged.mayAlsoNeed == ["iam:TagRole"])
        guard case .permissionless(let sts) = classifier.classify(call("STS", "GetCallerIdentity")) else {
            Issue.record("expected permissionless")
            return
        }
        #expect(sts.actionStyleName == "sts:GetCallerIdentity")
        #expect(classifier.classify(call("NoSuchService", "Foo")) == .unknownService)
        guard case .unknownOperation(let s3) = classifier.classify(call("S3", "GetObjekt")) else {
            Issue.record("expected an unknown operation")
            return
        }
        #expect(s3.module == "s3")
    }

    @Test("An operation the table maps to nothing is unmapped, for the builder and the resolver alike")
    func unmapped() throws {
        let table = ActionTable.bundled
        let found = table.services.lazy.compactMap { service in
            table.operations(of: service).first(where: \.isUnmapped).map { (service, $0) }
        }.first
        guard let (service, operation) = found else { return }  // a table without unmapped operations
        let observed = call(service.serviceID, operation.name)
        guard case .unmapped(let permissions) = CallClassifier().classify(observed) else {
            Issue.record("expected unmapped")
            return
        }
        var builder = PolicyBuilder()
        builder.add(observed)
        #expect(builder.report.notes.unmapped == [permissions.moduleStyleName: 1])
        var diff = PolicyDiff(policies: [])
        diff.add(observed)
        #expect(diff.report().notes.unmapped == [permissions.moduleStyleName: 1])
    }

    @Test("generate and diff note the same calls the same way")
    func sameNotes() throws {
        let calls = [
            call("STS", "GetCallerIdentity"), call("STS", "GetCallerIdentity"), call("NoSuchService", "Foo"),
            call("S3", "GetObjekt"), call("Lambda", "CreateFunction"), call("S3", "ListObjectsV2"),
        ]
        var builder = PolicyBuilder()
        var diff = PolicyDiff(policies: [])
        for call in calls {
            builder.add(call)
            diff.add(call)
        }
        let built = builder.report.notes, diffed = diff.report().notes
        #expect(built.permissionless == ["sts:GetCallerIdentity": 2])
        #expect(diffed.permissionless == built.permissionless)
        #expect(diffed.unknown.examples.map(\.name) == built.unknown.examples.map(\.name))
        #expect(built.unknown.examples.map(\.name) == ["NoSuchService.Foo", "S3.GetObjekt"])
        #expect(built.unknown.serviceCalls == 1 && built.unknown.operationCalls == 1)
        #expect(built.mayAlsoNeed.map(\.action) == diffed.mayAlsoNeed.map(\.action))
        #expect(built.mayAlsoNeed.first { $0.action == "lambda:PassCapacityProvider" }?.neededBy == ["Lambda CreateFunction"])
        #expect(built.mayAlsoNeed.allSatisfy { $0.decision == nil })
        #expect(diffed.mayAlsoNeed.allSatisfy { $0.decision == "deny" })
    }

    // Issue 10, defect 1: each distinct unknown name ran a "did you mean" search over the table's
    // names as it was resolved (milliseconds each, on the listener's receive thread).
    @Test("Resolving calls runs no suggestion search; lookups do, capped and cached")
    func noSuggestionSearch() throws {
        let table = try freshTable()
        var builder = PolicyBuilder(table: table)
        var diff = PolicyDiff(policies: [], table: table)
        for index in 0..<2_000 {
            let unknownService = call("nosuchservice\(index)", "Thing\(index)")
            let unknownOperation = call("dynamodb", "GetItem\(index)")
            builder.add(unknownService)
            builder.add(unknownOperation)
            diff.add(unknownService)
            diff.add(unknownOperation)
        }
        builder.add(contentsOf: (0..<50_000).map { call("nosuch\($0)", "Thing") })
        #expect(table.suggestionSearches == 0)
        #expect(builder.report.notes.unknown.calls == 54_000)

        // The one-off paths do search, once a name.
        #expect(table.serviceSuggestions(for: "dynamo").contains("dynamodb"))
        #expect(table.suggestionSearches == 1)
        #expect(table.serviceSuggestions(for: "dynamo").contains("dynamodb"))
        #expect(table.suggestionSearches == 1)
        // A name longer than any the table knows gets none, and no search.
        #expect(table.serviceSuggestions(for: String(repeating: "x", count: 8192)).isEmpty)
        #expect(table.suggestionSearches == 1)

        // A report suggests for its few examples only, at report time.
        let report = diff.report()
        #expect(report.notes.unknown.examples.count == 2 * UnknownNames.examplesPerKind)
        #expect(table.suggestionSearches <= 1 + 2 * UnknownNames.examplesPerKind)
        let suggested = builder.report.notes.suggesting(from: table)
        #expect(suggested.unknown.examples.contains { $0.reason.contains("did you mean") })
    }
}
