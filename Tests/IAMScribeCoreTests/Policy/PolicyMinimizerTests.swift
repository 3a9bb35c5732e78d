import Foundation
import Testing
import TestSupport
@testable import IAMScribeCore

@Suite("Policy minimizer")
struct PolicyMinimizerTests {
    static let table = ActionTable.bundled
    static let minimizer = PolicyMinimizer(table: table)
    static let arnA = "arn:aws:s3:::bucket-a/*", arnB = "arn:aws:sqs:us-east-1:123456789012:queue-b", arnC = "arn:aws:kms:us-east-1:123456789012:key/c"
    /// Resources each decision is asked on: those the statements name, and one none names.
    static let probes = [arnA, arnB, arnC, "arn:aws:dynamodb:us-east-1:123456789012:table/other"].map { ResourceText($0) }

    /// The evaluator for a document, through its JSON and the strict parser: what a user would load.
    static func evaluator(_ documents: [PolicyDocument]) throws -> PolicyEvaluator {
        PolicyEvaluator(policies: try documents.enumerated().map { try IAMPolicy.parse(Data($1.json.utf8), source: "part\($0)") })
    }

    /// Decisions the evaluator gives, for a few actions on every probe resource.
    static func decisions(_ evaluator: PolicyEvaluator, actions: [String]) -> [String] {
        actions.flatMap { action in probes.map { "\(action) \($0): \(evaluator.evaluate(action: action, resource: $0).outcome)" } }
    }

    /// Subsets of one prefix's actions: all, all but one (for every fifth prefix: as costly as
    /// all, in a debug build), a random half, a random few, and those sharing the first action's
    /// first word (`Get...`).
    static func subsets(of names: [String], seed: UInt64) -> [[String]] {
        var random = SplitMix(state: seed)
        var out = [names]
        if names.count > 1 {
            let skip = Int.random(in: 0..<names.count, using: &random)
            if seed % 5 == 0 { out.append(names.enumerated().filter { $0.offset != skip }.map(\.element)) }
        }
        out.append(names.filter { _ in Bool.random(using: &random) })
        out.append(Array(names.shuffled(using: &random).prefix(Int.random(in: 1...min(8, names.count), using: &random))))
        if let first = names.first {
            let word = ActionWildcards.words(of: first).first ?? first
            out.append(names.filter { $0.hasPrefix(word) })
        }
        return out.filter { !$0.isEmpty }
    }

    @Test("Over every prefix's action universe, the minimized policy allows exactly what the original allows, on every resource")
    func everyPrefixKeepsItsGrants() throws {
        var prefixes = 0, actionsChecked = 0, patterns = 0, wholeSize = 0, wholeMinimized = 0
        for (number, prefix) in Self.table.iamPrefixes.enumerated() {
            guard let service = Self.table.iamService(prefix: prefix) else { continue }
            let names = service.actions.map(\.name)
            guard !names.isEmpty else { continue }
            let universe = names.map { "\(service.prefix):\($0)" }
            prefixes += 1
            var random = SplitMix(state: UInt64(number) &* 7919)
            for (kind, subset) in Self.subsets(of: names, seed: UInt64(number)).enumerated() {
                // Statements on different resources, each a random part of the subset, one on
                // "*", one overlapping another: the patterns of one must not reach the actions
                // of another, on any resource.
                let parts = subset.map { _ in Int.random(in: 0..<4, using: &random) }
                func actions(_ part: Int) -> [String] {
                    zip(subset, parts).filter { $0.1 == part }.map { "\(service.prefix):\($0.0)" }
                }
                let document = PolicyDocument(statements: [
                    .init(actions: actions(0), resources: [Self.arnA]),
                    .init(actions: actions(1), resources: [Self.arnB, Self.arnC]),
                    .init(actions: actions(2), resources: ["*"]),
                    .init(actions: actions(3) + actions(0), resources: [Self.arnC]),
                ].filter { !$0.actions.isEmpty })
                let minimized = Self.minimizer.minimize(document)
                // What the original allows on each probe, by construction (its actions are
                // literal), against what the minimized policy's statements allow there, every
                // action of the prefix matched against their patterns as IAM matches (see
                // ``ActionGlob``; the evaluator's own matching is checked on a sample below).
                for probe in Self.probes {
                    let on = { (statement: PolicyDocument.Statement) in
                        statement.resources.contains(probe.description) || statement.resources.contains("*")
                    }
                    let expected = Set(document.statements.filter(on).flatMap(\.actions).map { $0.lowercased() })
                    let patterns = minimized.statements.filter(on).flatMap(\.actions).map { Array($0.lowercased().utf8) }
                    let allowed = Set(universe.map { $0.lowercased() }.filter { action in
                        let subject = Array(action.utf8)
                        return patterns.contains { ActionGlob.matches($0, subject) }
                    })
                    #expect(allowed == expected, "\(prefix) on \(probe): \(document.statements.map(\.actions)) minimized to \(minimized.statements.map(\.actions))")
                }
                // The evaluator's full decisions, original against minimized, for a few actions
                // (of the whole universe's subset: the evaluator is slow in a debug build).
                if kind == 0 {
                    let evaluator = try Self.evaluator([minimized])
                    let sample = (0..<3).map { _ in universe[Int.random(in: 0..<universe.count, using: &random)] }
                        + (0..<2).map { _ in "\(service.prefix):\(subset[Int.random(in: 0..<subset.count, using: &random)])" }
                    #expect(Self.decisions(try Self.evaluator([document]), actions: sample) == Self.decisions(evaluator, actions: sample))
                }
                #expect(minimized.quotaSize <= document.quotaSize)
                actionsChecked += universe.count
                patterns += minimized.statements.flatMap(\.actions).filter { $0.contains("*") }.count
                if kind == 0 {
                    // The whole universe in one statement is `prefix:*`.
                    let whole = PolicyDocument(statements: [.init(actions: universe, resources: [Self.arnA])])
                    let minimizedWhole = Self.minimizer.minimize(whole)
                    if universe.count > 1 { #expect(minimizedWhole.statements.map(\.actions) == [["\(service.prefix):*"]]) }
                    wholeSize += whole.quotaSize
                    wholeMinimized += minimizedWhole.quotaSize
                }
            }
        }
        #expect(prefixes > 400, "only \(prefixes) prefixes")
        #expect(patterns > 1000)
        print("minimizer: \(prefixes) prefixes, \(actionsChecked) actions checked on \(Self.probes.count) resources each, \(patterns) patterns; whole universes \(wholeSize) -> \(wholeMinimized) characters")
    }

    @Test("Wildcards are the expected ones: a whole prefix is prefix:*, a whole verb is Verb*, an infix *Word*")
    func expectedPatterns() throws {
        let s3 = try #require(Self.table.iamService(prefix: "s3")).actions.map(\.name)
        func minimized(_ names: [String], prefix: String = "s3") -> [String] {
            Self.minimizer.minimize(PolicyDocument(statements: [.init(actions: names.map { "\(prefix):\($0)" })])).statements.first?.actions ?? []
        }
        #expect(minimized(s3) == ["s3:*"])
        #expect(minimized(s3.filter { $0.hasPrefix("Get") }) == ["s3:Get*"])
        #expect(minimized(s3.filter { $0.hasPrefix("Get") || $0.hasPrefix("List") }) == ["s3:Get*", "s3:List*"])
        let objectTagging = s3.filter { $0.contains("ObjectTagging") }
        #expect(objectTagging.count >= 3)
        #expect(minimized(objectTagging) == ["s3:*ObjectTagging"])
        // One action stays itself; two that share nothing stay themselves.
        #expect(minimized(["GetObject"]) == ["s3:GetObject"])
        #expect(minimized(["GetObject", "PutObject"]) == ["s3:GetObject", "s3:PutObject"])
        // Unknown prefixes and patterns already there are kept as they are.
        #expect(Self.minimizer.minimize(PolicyDocument(statements: [.init(actions: ["nosuch:Thing", "nosuch:Other", "s3:Get*"])])).statements.first?.actions
            == ["nosuch:Other", "nosuch:Thing", "s3:Get*"])
    }

    @Test("An action the IAM data does not list, granted in one statement, is never reached by another statement's pattern")
    func undocumentedActionsStayOut() throws {
        let gets = try #require(Self.table.iamService(prefix: "s3")).actions.map(\.name).filter { $0.hasPrefix("Get") }
        let document = PolicyDocument(statements: [
            .init(actions: gets.map { "s3:\($0)" }, resources: [Self.arnA]),
            .init(actions: ["s3:GetSomethingNotYetDocumented"], resources: ["arn:aws:s3:::other"]),
        ])
        let minimized = Self.minimizer.minimize(document)
        #expect(!minimized.statements[0].actions.contains("s3:Get*"))
        let evaluator = try Self.evaluator([minimized])
        #expect(evaluator.evaluate(action: "s3:GetSomethingNotYetDocumented", resource: ResourceText(Self.arnA)).outcome == .implicitDeny)
        #expect(evaluator.evaluate(action: "s3:GetObject", resource: ResourceText(Self.arnA)).outcome == .allow)
    }

    @Test("Statements merge where that changes nothing: same resources, same actions, actions granted on * anyway")
    func merging() {
        let document = PolicyDocument(statements: [
            .init(actions: ["s3:GetObject"], resources: [Self.arnA]),
            .init(actions: ["sqs:SendMessage"], resources: [Self.arnB]),
            .init(actions: ["s3:PutObject"], resources: [Self.arnA]),
            .init(actions: ["sqs:SendMessage"], resources: [Self.arnC]),
            .init(actions: ["kms:Decrypt", "sqs:ListQueues"], resources: ["*"]),
            .init(actions: ["kms:Decrypt"], resources: [Self.arnC]),
            .init(effect: "Deny", actions: ["s3:PutObject"], resources: [Self.arnA]),
        ])
        let minimized = Self.minimizer.minimize(document)
        #expect(minimized.statements == [
            .init(actions: ["s3:GetObject", "s3:PutObject"], resources: [Self.arnA]),
            .init(actions: ["sqs:SendMessage"], resources: [Self.arnB, Self.arnC]),
            .init(actions: ["kms:Decrypt", "sqs:ListQueues"], resources: ["*"]),
            .init(effect: "Deny", actions: ["s3:PutObject"], resources: [Self.arnA]),
        ])
        // A merged statement's actions are not mixed with another's resources: a on r1, b on r1,
        // a on r3 must not become a and b on r1 and r3.
        let chained = Self.minimizer.minimize(PolicyDocument(statements: [
            .init(actions: ["s3:GetObject"], resources: [Self.arnA]),
            .init(actions: ["s3:PutObject"], resources: [Self.arnA]),
            .init(actions: ["s3:GetObject"], resources: [Self.arnC]),
        ]))
        #expect(chained.statements == [
            .init(actions: ["s3:GetObject", "s3:PutObject"], resources: [Self.arnA]),
            .init(actions: ["s3:GetObject"], resources: [Self.arnC]),
        ])
    }

    @Test("A policy over the managed-policy quota splits into documents within it that together grant the same")
    func splitting() throws {
        // Every other EC2 action (no wildcard can cover them) on a few long ARNs each, and many
        // statements of their own resources: far over 6,144 characters even minimized.
        let ec2 = try #require(Self.table.iamService(prefix: "ec2")).actions.map(\.name)
        let alternate = ec2.enumerated().filter { $0.offset % 2 == 0 }.map { "ec2:\($0.element)" }
        var statements: [PolicyDocument.Statement] = [
            .init(actions: alternate, resources: (0..<3).map { "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef\($0)" }),
        ]
        for index in 0..<60 {
            statements.append(.init(actions: ["s3:GetObject", "s3:PutObject"], resources: ["arn:aws:s3:::bucket-\(index)/reports/*"]))
            statements.append(.init(actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:us-east-1:123456789012:queue-\(index)"]))
        }
        let document = PolicyDocument(statements: statements)
        let minimized = Self.minimizer.minimize(document)
        #expect(minimized.quotaSize > PolicyQuota.managedPolicy.limit)
        let parts = Self.minimizer.split(minimized)
        #expect(parts.count > 1)
        for part in parts {
            #expect(part.quotaSize <= PolicyQuota.managedPolicy.limit, "\(part.quotaSize)")
            #expect(!part.statements.isEmpty)
        }
        // Every 20th EC2 action (both kinds: granted and not) and the others: the evaluator over
        // hundreds of statements is slow in a debug build; the universe test checks every action.
        let universe = ec2.enumerated().filter { $0.offset % 20 < 2 }.map { "ec2:\($0.element)" }
            + ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "sqs:SendMessage", "sqs:DeleteQueue"]
        var resources = (0..<3).map { ResourceText("arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef\($0)") }
        resources += [0, 17, 59, 60].flatMap { [ResourceText("arn:aws:s3:::bucket-\($0)/reports/x"), ResourceText("arn:aws:sqs:us-east-1:123456789012:queue-\($0)")] }
        let before = try Self.evaluator([document]), after = try Self.evaluator(parts)
        for action in universe {
            for resource in resources {
                #expect(before.evaluate(action: action, resource: resource).outcome == after.evaluate(action: action, resource: resource).outcome,
                        "\(action) on \(resource)")
            }
        }
        // A document within the quota is left whole.
        #expect(Self.minimizer.split(PolicyDocument(statements: [.init(actions: ["s3:GetObject"])])).count == 1)
        // A smaller limit: a statement too large alone is cut by actions, then by resources.
        let cut = Self.minimizer.split(PolicyDocument(statements: [
            .init(actions: ["s3:GetObject"], resources: (0..<40).map { "arn:aws:s3:::bucket-\($0)/*" }),
        ]), limit: 400)
        #expect(cut.count > 1)
        #expect(cut.allSatisfy { $0.quotaSize <= 400 })
        #expect(cut.flatMap { $0.statements.flatMap(\.resources) } == (0..<40).map { "arn:aws:s3:::bucket-\($0)/*" })
    }

    @Test("Camel-case words: acronyms and digits stay in their word")
    func words() {
        #expect(ActionWildcards.words(of: "GetObjectACLPolicyV2") == ["Get", "Object", "ACL", "Policy", "V2"])
        #expect(ActionWildcards.words(of: "ListObjectsV2") == ["List", "Objects", "V2"])
        #expect(ActionWildcards.words(of: "DescribeDBInstances") == ["Describe", "DB", "Instances"])
        #expect(ActionWildcards.words(of: "get") == ["get"])
    }
}
