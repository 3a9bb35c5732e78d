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
}
