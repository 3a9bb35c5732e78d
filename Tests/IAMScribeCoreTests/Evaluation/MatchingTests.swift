import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Wildcard and ARN matching with unknown parts")
struct MatchingTests {
    /// `arn:aws:sqs:us-east-1:${Account}:${QueueName}`
    static let queueWithUnknowns = ResourceText(pieces: [.text("arn:aws:sqs:us-east-1:"), .unknown("Account"), .text(":"), .unknown("QueueName")])
    /// `arn:aws:sqs:us-east-1:${Account}:jobs`
    static let knownQueue = ResourceText(pieces: [.text("arn:aws:sqs:us-east-1:"), .unknown("Account"), .text(":jobs")])

    struct Case: Sendable, CustomTestStringConvertible {
        let pattern: String
        let resource: ResourceText
        let expected: Truth
        var testDescription: String { "\(pattern) ~ \(resource)" }
    }

    static let cases: [Case] = [
        .init(pattern: "*", resource: queueWithUnknowns, expected: .yes),
        .init(pattern: "arn:aws:sqs:*:*:*", resource: queueWithUnknowns, expected: .yes),
        .init(pattern: "arn:aws:sqs:us-east-1:*:jobs", resource: knownQueue, expected: .yes),
        .init(pattern: "arn:aws:sqs:us-east-1:123456789012:jobs", resource: knownQueue, expected: .unknown(["${Account} in the resource"])),
        .init(pattern: "arn:aws:sqs:us-east-1:*:jobs", resource: queueWithUnknowns, expected: .unknown(["${QueueName} in the resource"])),
        .init(pattern: "arn:aws:sqs:eu-west-1:*:*", resource: queueWithUnknowns, expected: .no),
        .init(pattern: "arn:aws:s3:::*", resource: queueWithUnknowns, expected: .no),
        .init(pattern: "arn:aws:sqs:us-east-1:*:other", resource: knownQueue, expected: .no),
        .init(pattern: "arn:aws:s3:::photos/*",
              resource: ResourceText(pieces: [.text("arn:aws:s3:::"), .unknown("BucketName"), .text("/"), .unknown("ObjectName")]),
              expected: .unknown(["${BucketName} in the resource", "${ObjectName} in the resource"])),
        .init(pattern: "arn:aws:s3:::*/*",
              resource: ResourceText(pieces: [.text("arn:aws:s3:::"), .unknown("BucketName"), .text("/"), .unknown("ObjectName")]),
              expected: .yes),
        .init(pattern: "*", resource: .any, expected: .yes),
        .init(pattern: "arn:aws:s3:::*", resource: .any, expected: .no),
    ]

    @Test("Three-valued ARN matching", arguments: cases)
    func arn(_ item: Case) {
        #expect(ARNMatcher.match(WildcardPattern(item.pattern, variables: true), item.resource) == item.expected)
    }

    @Test("Glob matching of known text backtracks correctly")
    func glob() {
        func matches(_ pattern: String, _ text: String) -> Bool {
            WildcardPattern(pattern, variables: false).match(ResourceText(text)) == .yes
        }
        #expect(matches("a*b*c", "axxbyyc"))
        #expect(matches("a*b*c", "abbc"))
        #expect(!matches("a*b*c", "abcx"))
        #expect(matches("*Role*", "GetRolePolicy"))
        #expect(matches("a?c", "abc") && !matches("a?c", "ac"))
        #expect(matches("", "") && !matches("", "a"))
        #expect(matches("${*}", "${*}"))
        #expect(WildcardPattern("a${*}", variables: true).match(ResourceText("a*")) == .yes)
        #expect(WildcardPattern("a${*}", variables: true).match(ResourceText("ab")) == .no)
    }

    /// The matcher as it was before issue 10: one cell for every pair of positions, kept as the
    /// reference the linear-memory one must agree with.
    static func referenceReachable(_ pattern: [WildcardPattern.Token], _ subject: [ResourceText.Token], possible: Bool) -> Bool {
        let m = pattern.count, n = subject.count, width = n + 1
        var table = [Bool](repeating: false, count: (m + 1) * width)
        table[0] = true
        for i in 0...m {
            for j in 0...n where table[i * width + j] {
                var isStar = false
                if i < m {
                    switch pattern[i] {
                    case .anything: isStar = true
                    case .variable: isStar = possible
                    default: break
                    }
                }
                if isStar {
                    table[(i + 1) * width + j] = true
                    if j < n { table[i * width + j + 1] = true }
                }
                if possible, j < n, case .unknown = subject[j] {
                    table[i * width + j + 1] = true
                    if i < m { table[(i + 1) * width + j] = true }
                }
                if i < m, j < n, case .scalar(let actual) = subject[j] {
                    switch pattern[i] {
                    case .scalar(let expected) where expected == actual: table[(i + 1) * width + j + 1] = true
                    case .oneCharacter: table[(i + 1) * width + j + 1] = true
                    default: break
                    }
                }
            }
        }
        return table[m * width + n]
    }

    @Test("The linear-memory matcher agrees with the full table on random patterns and subjects")
    func linearMatcherAgrees() {
        var generator = SystemRandomNumberGenerator()
        let patternTokens: [WildcardPattern.Token] = [.scalar("a"), .scalar("b"), .anything, .oneCharacter, .variable(key: "v", defaultValue: nil)]
        let subjectTokens: [ResourceText.Token] = [.scalar("a"), .scalar("b"), .unknown("u")]
        var compared = 0
        for _ in 0..<20_000 {
            let pattern = (0..<Int.random(in: 0...8, using: &generator)).map { _ in patternTokens.randomElement(using: &generator) ?? .anything }
            let subject = (0..<Int.random(in: 0...8, using: &generator)).map { _ in subjectTokens.randomElement(using: &generator) ?? .scalar("a") }
            for possible in [false, true] {
                let expected = Self.referenceReachable(pattern, subject, possible: possible)
                let actual = WildcardPattern.reachable(pattern, subject, possible: possible)
                #expect(actual == expected, "\(pattern) ~ \(subject), possible: \(possible)")
                if actual != expected { return }
                compared += 1
            }
        }
        #expect(compared == 40_000)
    }

    @Test("A 100 KB pattern with a variable against a 100 KB resource completes in linear memory")
    func longPatterns() {
        let tail = String(repeating: "ab", count: 50_000)
        let pattern = WildcardPattern("arn:aws:s3:::${aws:username}/" + tail, variables: true)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(pattern.match(ResourceText("arn:aws:s3:::alice/" + tail)) == .unknown(["${aws:username}"]))
            #expect(pattern.match(ResourceText("arn:aws:s3:::alice/" + tail + "x")) == .no)
            let unknownBucket = ResourceText(pieces: [.text("arn:aws:s3:::"), .unknown("BucketName"), .text("/" + tail)])
            #expect(pattern.match(unknownBucket) == .unknown(["${aws:username}", "${BucketName} in the resource"]))
            // No fixed ends to strip, and far more cells than the budget: undecided, so unknown.
            let stars = WildcardPattern("*" + String(repeating: "a*", count: 50_000) + "${v}", variables: true)
            let subject = ResourceText(pieces: [.unknown("A"), .text(String(repeating: "ba", count: 50_000)), .unknown("B")])
            #expect(stars.match(subject) == .unknown(["${v}", "${A} in the resource", "${B} in the resource"]))
            // Many `${` without a `}` parse in linear time.
            #expect(WildcardPattern(String(repeating: "${", count: 50_000), variables: true).tokens.count == 100_000)
        }
        #expect(elapsed < .seconds(20))
    }

    @Test("The glob automaton agrees with the greedy walk on random patterns and texts")
    func automatonAgrees() {
        var generator = SystemRandomNumberGenerator()
        let patternTokens: [WildcardPattern.Token] = [.scalar("a"), .scalar("b"), .scalar("c"), .anything, .oneCharacter]
        let subjectTokens: [ResourceText.Token] = [.scalar("a"), .scalar("b"), .scalar("c")]
        for round in 0..<20_000 {
            // Some long ones, so that patterns span several 64-bit words and frequent characters get masks.
            let longest = round % 10 == 0 ? 200 : 10
            let pattern = (0..<Int.random(in: 0...longest, using: &generator)).map { _ in
                patternTokens.randomElement(using: &generator) ?? .anything
            }
            let subject = (0..<Int.random(in: 0...longest, using: &generator)).map { _ in
                subjectTokens.randomElement(using: &generator) ?? .scalar("a")
            }
            let expected = WildcardPattern.greedyMatch(pattern, subject, budget: .max)
            let actual = WildcardPattern.automatonMatch(pattern, subject)
            #expect(actual == expected, "\(pattern) ~ \(subject)")
            if actual != expected { return }
        }
    }

    @Test("A glob the greedy walk would take m·n steps on is decided in bounded time")
    func pathologicalGlob() {
        let text = String(repeating: "a", count: 40_000)
        let hard = "*" + String(repeating: "a", count: 4_000) + "b"
        // The greedy walk gives up past its budget (it would take about 1.6·10^8 steps) ...
        let tokens = WildcardPattern(hard, variables: false).tokens
        let subject = ResourceText(text).tokens(lowercased: false)
        #expect(WildcardPattern.greedyMatch(tokens, subject, budget: 4 * (tokens.count + subject.count) + (1 << 16)) == nil)
        // ... and the automaton decides.
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(WildcardPattern(hard, variables: false).match(ResourceText(text)) == .no)
            #expect(WildcardPattern("*" + String(repeating: "a", count: 4_000) + "?", variables: false).match(ResourceText(text)) == .yes)
            #expect(WildcardPattern("*" + String(repeating: "a*", count: 2_000) + "b", variables: false).match(ResourceText(text)) == .no)
        }
        #expect(elapsed < .seconds(20))
    }
}
