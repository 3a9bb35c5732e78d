import Foundation
import FuzzSupport
import IAMScribeCore

/// The requests every parsed policy is asked about: known and unknown ARN parts, several resources
/// either way, and contexts with present, absent and unknown condition keys of each value kind.
private let requests: [AuthorizationRequest] = {
    var full = RequestContext(region: "us-east-1", time: Date(timeIntervalSince1970: 1_700_000_000))
    full.set("aws:SourceIp", to: ["203.0.113.7"])
    full.set("aws:username", to: ["alice"])
    full.set("aws:PrincipalTag/team", to: ["blue", "red"])
    full.set("aws:MultiFactorAuthPresent", to: ["true"])
    full.set("aws:SecureTransport", to: ["false"])
    full.set("s3:prefix", to: ["home/alice/"])
    full.set("s3:max-keys", to: ["100"])
    full.set("aws:SourceArn", to: ["arn:aws:sns:us-east-1:123456789012:topic"])
    var partial = RequestContext(region: "eu-west-1", time: nil)
    partial.setAbsent("iam:PassedToService")
    partial.setAbsent("aws:RequestTag/env")
    let role = ResourceText(pieces: [.text("arn:aws:iam::"), .unknown("Account"), .text(":role/service/app")])
    return [
        AuthorizationRequest(action: "s3:GetObject", resources: [ResourceText("arn:aws:s3:::photos/home/alice/cat.jpg")], context: full),
        AuthorizationRequest(action: "s3:ListBucket", resources: [ResourceText(pieces: [.text("arn:aws:s3:::"), .unknown("BucketName")])],
                             context: full),
        AuthorizationRequest(action: "iam:PassRole", resources: [role], context: partial),
        AuthorizationRequest(action: "ec2:RunInstances", resources: [
            ResourceText(pieces: [.text("arn:aws:ec2:eu-west-1:"), .unknown("Account"), .text(":instance/"), .unknown("InstanceId")]),
            ResourceText("arn:aws:ec2:eu-west-1::image/ami-12345678"),
        ], scope: .allOf, context: partial),
        AuthorizationRequest(action: "sqs:SendMessage", resources: [
            ResourceText("arn:aws:sqs:us-east-1:123456789012:jobs"), ResourceText("arn:aws:sqs:us-east-1:123456789012:dead"),
        ], scope: .oneOf, context: full),
        AuthorizationRequest(action: "s3:ListAllMyBuckets", resources: []),
    ]
}()

/// A policy from the input through ``PolicyEvaluator``: the fixed requests above, and for each
/// action an unconditional `Allow` on `*` lists literally, that action, which must be allowed when
/// the policy has no `Deny`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let policy = try? IAMPolicy.parse(Data(bytes: data, count: size), source: "fuzz.json") else { return 0 }
    let evaluator = PolicyEvaluator(policies: [policy])
    for request in requests {
        let decision = evaluator.evaluate(request)
        require(decision.outcome != .allow || policy.statements.contains { $0.effect == .allow },
                "allowed by a policy without an Allow statement")
    }
    let hasDeny = policy.statements.contains { $0.effect == .deny }
    for statement in policy.statements where statement.effect == .allow && !hasDeny && !statement.actionsAreExcluded
        && !statement.resourcesAreExcluded && statement.conditions.isEmpty && statement.resources.contains("*") {
        // An action matches itself whatever its letters' case mappings (İ, ǋ: a regression test in
        // PolicyEvaluatorTests, found here).
        for action in statement.actions.prefix(4) where !action.contains("*") && !action.contains("?") {
            let decision = evaluator.evaluate(AuthorizationRequest(action: action, resources: []))
            require(decision.outcome == .allow, "\(action) on * is \(decision.outcome): \(decision.reason)")
        }
    }
    return 0
}
