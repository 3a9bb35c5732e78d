import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Policy evaluator")
struct PolicyEvaluatorTests {
    /// One request against some policies, and the expected decision.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let policies: [String]
        let action: String
        let resource: String
        var context: [String: [String]] = [:]
        var absent: [String] = []
        let expected: Decision.Outcome
        /// The Sid of the deciding statement (the first one for a conditional).
        var decidedBy: String?
        /// What a conditional outcome must depend on.
        var dependsOn: [String] = []

        var testDescription: String { name }
    }

    static func policy(_ statements: String, version: String = "2012-10-17") -> String {
        #"{"Version":"\#(version)","Statement":[\#(statements)]}"#
    }

    static let readPhotos = policy(#"{"Sid":"ReadPhotos","Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::photos/*"}"#)
    static let allowAll = #"{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}"#
    static let object = "arn:aws:s3:::photos/cat.jpg"

    static let cases: [Case] = [
        // Actions: wildcards, case, `?`.
        .init(name: "Allow with a trailing wildcard", policies: [readPhotos], action: "s3:GetObject", resource: object, expected: .allow, decidedBy: "ReadPhotos"),
        .init(name: "Action names are case-insensitive", policies: [readPhotos], action: "S3:getobject", resource: object, expected: .allow, decidedBy: "ReadPhotos"),
        // Found by fuzzing: a letter whose lowercase is two scalars (İ) or that is titlecase (ǋ)
        // was lowercased one way in the pattern and another in the request.
        .init(name: "An action with İ matches itself", policies: [policy(#"{"Sid":"I","Effect":"Allow","Action":["dynamodb:Gİtem"],"Resource":"*"}"#)],
              action: "dynamodb:Gİtem", resource: "*", expected: .allow, decidedBy: "I"),
        .init(name: "An action with ǋ matches itself", policies: [policy(#"{"Sid":"LJ","Effect":"Allow","Action":["dynamodb:GetIteǋm"],"Resource":"*"}"#)],
              action: "dynamodb:GetIteǋm", resource: "*", expected: .allow, decidedBy: "LJ"),
        .init(name: "Another action is implicitly denied", policies: [readPhotos], action: "s3:PutObject", resource: object, expected: .implicitDeny),
        .init(name: "Wildcard in the middle of an action name", policies: [policy(#"{"Sid":"Roles","Effect":"Allow","Action":"iam:*Role*","Resource":"*"}"#)],
              action: "iam:GetRolePolicy", resource: "arn:aws:iam::123456789012:role/app", expected: .allow, decidedBy: "Roles"),
        .init(name: "Wildcard in the middle does not match other names", policies: [policy(#"{"Effect":"Allow","Action":"iam:*Role*","Resource":"*"}"#)],
              action: "iam:CreateUser", resource: "arn:aws:iam::123456789012:user/bob", expected: .implicitDeny),
        .init(name: "? matches exactly one character", policies: [policy(#"{"Sid":"Q","Effect":"Allow","Action":"s3:GetObjec?","Resource":"*"}"#)],
              action: "s3:GetObject", resource: object, expected: .allow, decidedBy: "Q"),
        .init(name: "? does not match two characters", policies: [policy(#"{"Effect":"Allow","Action":"s3:GetObjec?","Resource":"*"}"#)],
              action: "s3:GetObjectAcl", resource: object, expected: .implicitDeny),

        // Deny and NotAction.
        .init(name: "Deny with NotAction denies what it does not list",
              policies: [policy(allowAll + #",{"Sid":"OnlyReadIAM","Effect":"Deny","NotAction":["iam:Get*","sts:*"],"Resource":"*"}"#)],
              action: "s3:GetObject", resource: object, expected: .explicitDeny, decidedBy: "OnlyReadIAM"),
        .init(name: "Deny with NotAction leaves what it lists to the Allow",
              policies: [policy(allowAll + #",{"Sid":"OnlyReadIAM","Effect":"Deny","NotAction":["iam:Get*","sts:*"],"Resource":"*"}"#)],
              action: "iam:GetRole", resource: "arn:aws:iam::123456789012:role/app", expected: .allow, decidedBy: "All"),
        .init(name: "Allow with NotAction allows everything else",
              policies: [policy(#"{"Sid":"NotIAM","Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#)],
              action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:123456789012:q", expected: .allow, decidedBy: "NotIAM"),
        .init(name: "Allow with NotAction does not allow what it lists (case-insensitively)",
              policies: [policy(#"{"Effect":"Allow","NotAction":"IAM:*","Resource":"*"}"#)],
              action: "iam:PassRole", resource: "arn:aws:iam::123456789012:role/app", expected: .implicitDeny),
        .init(name: "An explicit Deny beats an Allow",
              policies: [policy(allowAll + #",{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}"#)],
              action: "s3:DeleteObject", resource: object, expected: .explicitDeny, decidedBy: "NoDelete"),

        // Resources: segments, NotResource.
        .init(name: "NotResource allows other resources",
              policies: [policy(#"{"Sid":"NotSecret","Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::secret","arn:aws:s3:::secret/*"]}"#)],
              action: "s3:GetObject", resource: object, expected: .allow, decidedBy: "NotSecret"),
        .init(name: "NotResource does not allow the resources it lists",
              policies: [policy(#"{"Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::secret","arn:aws:s3:::secret/*"]}"#)],
              action: "s3:GetObject", resource: "arn:aws:s3:::secret/key", expected: .implicitDeny),
        .init(name: "Deny with NotResource denies everything but the listed resources",
              policies: [policy(allowAll + #",{"Sid":"OnlyPhotos","Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::photos/*"}"#)],
              action: "s3:GetObject", resource: "arn:aws:s3:::other/x", expected: .explicitDeny, decidedBy: "OnlyPhotos"),
        .init(name: "ARN wildcards within a segment",
              policies: [policy(#"{"Sid":"Jobs","Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:123456789012:jobs-*"}"#)],
              action: "sqs:SendMessage", resource: "arn:aws:sqs:eu-west-1:123456789012:jobs-high", expected: .allow, decidedBy: "Jobs"),
        .init(name: "ARN wildcards do not span segments (an access point is not a bucket)",
              policies: [policy(#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::*"}"#)],
              action: "s3:ListBucket", resource: "arn:aws:s3:us-east-1:123456789012:accesspoint/ap", expected: .implicitDeny),
        .init(name: "The resource part of an ARN may hold colons",
              policies: [policy(#"{"Sid":"Fn","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:*:*:function:app*"}"#)],
              action: "lambda:InvokeFunction", resource: "arn:aws:lambda:us-east-1:123456789012:function:app:live", expected: .allow, decidedBy: "Fn"),
        .init(name: "ARNs are case-sensitive",
              policies: [readPhotos], action: "s3:GetObject", resource: "arn:aws:s3:::Photos/cat.jpg", expected: .implicitDeny),
        .init(name: "The resource * of an action without resource types needs Resource *",
              policies: [policy(#"{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::*"}"#)],
              action: "s3:ListAllMyBuckets", resource: "*", expected: .implicitDeny),

        // Conditions on known keys.
        .init(name: "StringEquals on the requested region holds",
              policies: [policy(#"{"Sid":"EU","Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}}"#)],
              action: "s3:GetObject", resource: object, context: ["aws:RequestedRegion": ["eu-central-1"]], expected: .allow, decidedBy: "EU"),
        .init(name: "StringEquals on the requested region fails",
              policies: [policy(#"{"Sid":"EU","Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}"#)],
              action: "s3:GetObject", resource: object, context: ["aws:RequestedRegion": ["us-east-1"]], expected: .implicitDeny),
        .init(name: "Condition keys are case-insensitive, values are not",
              policies: [policy(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"AWS:requestedregion":"EU-WEST-1"}}}"#)],
              action: "s3:GetObject", resource: object, context: ["aws:RequestedRegion": ["eu-west-1"]], expected: .implicitDeny),
        .init(name: "StringEqualsIgnoreCase ignores the case of values",
              policies: [policy(#"{"Sid":"I","Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:RequestTag/team":"Blue"}}}"#)],
              action: "ec2:CreateTags", resource: "*", context: ["aws:RequestTag/team": ["BLUE"]], expected: .allow, decidedBy: "I"),
        .init(name: "StringNotEquals holds when the key is absent",
              policies: [policy(#"{"Sid":"N","Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestTag/env":"prod"}}}"#)],
              action: "ec2:RunInstances", resource: "*", absent: ["aws:RequestTag/env"], expected: .allow, decidedBy: "N"),
        .init(name: "StringLike with wildcards",
              policies: [policy(#"{"Sid":"L","Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringLike":{"s3:prefix":["home/*","shared/?"]}}}"#)],
              action: "s3:ListBucket", resource: "arn:aws:s3:::photos", context: ["s3:prefix": ["shared/a"]], expected: .allow, decidedBy: "L"),
        .init(name: "IpAddress: inside the range",
              policies: [policy(#"{"Sid":"Office","Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}}"#)],
              action: "s3:GetObject", resource: object, context: ["aws:SourceIp": ["2001:db8::1"]], expected: .allow, decidedBy: "Office"),
        .init(name: "IpAddress: outside the range",
              policies: [policy(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}"#)],
              action: "s3:GetObject", resource: object, context: ["aws:SourceIp": ["198.51.100.1"]], expected: .implicitDeny),
        .init(name: "NotIpAddress in a Deny denies from elsewhere",
              policies: [policy(allowAll + #",{"Sid":"OnlyOffice","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}"#)],
              action: "s3:GetObject", resource: object, context: ["aws:SourceIp": ["198.51.100.1"]], expected: .explicitDeny, decidedBy: "OnlyOffice"),
        .init(name: "NumericLessThan",
              policies: [policy(#"{"Sid":"MFA","Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}}"#)],
              action: "iam:CreateUser", resource: "*", context: ["aws:MultiFactorAuthAge": ["7200"]], expected: .implicitDeny),
        .init(name: "DateLessThan on the current time, ISO 8601 and epoch",
              policies: [policy(#"{"Sid":"Until","Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"DateGreaterThan":{"aws:EpochTime":1700000000}}}"#)],
              action: "s3:GetObject", resource: object, context: ["aws:CurrentTime": ["2026-05-01T10:00:00Z"], "aws:EpochTime": ["1777629600"]],
              expected: .allow, decidedBy: "Until"),
        .init(name: "Bool in a Deny: insecure transport is denied",
              policies: [policy(allowAll + #",{"Sid":"TLS","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}"#)],
              action: "s3:GetObject", resource: object, context: ["aws:SecureTransport": ["false"]], expected: .explicitDeny, decidedBy: "TLS"),
        .init(name: "ArnLike matches segment by segment",
              policies: [policy(#"{"Sid":"Topic","Effect":"Allow","Action":"sqs:SendMessage","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:orders-*"}}}"#)],
              action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:123456789012:q",
              context: ["aws:SourceArn": ["arn:aws:sns:eu-west-1:123456789012:orders-eu"]], expected: .allow, decidedBy: "Topic"),
        .init(name: "Null true requires the key to be absent",
              policies: [policy(#"{"Sid":"LongTerm","Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"true"}}}"#)],
              action: "s3:GetObject", resource: object, context: ["aws:TokenIssueTime": ["2026-05-01T10:00:00Z"]], expected: .implicitDeny),

        // Missing keys: IfExists, ForAllValues, ForAnyValue, Null.
        .init(name: "IfExists holds when the key is absent",
              policies: [policy(#"{"Sid":"Team","Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:RequestTag/team":"blue"}}}"#)],
              action: "ec2:RunInstances", resource: "*", absent: ["aws:RequestTag/team"], expected: .allow, decidedBy: "Team"),
        .init(name: "IfExists still compares a present key",
              policies: [policy(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:RequestTag/team":"blue"}}}"#)],
              action: "ec2:RunInstances", resource: "*", context: ["aws:RequestTag/team": ["red"]], expected: .implicitDeny),
        .init(name: "IfExists on a key the capture does not tell depends on it",
              policies: [policy(#"{"Sid":"Team","Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:RequestTag/team":"blue"}}}"#)],
              action: "ec2:RunInstances", resource: "*", expected: .conditional, decidedBy: "Team", dependsOn: ["aws:RequestTag/team"]),
        .init(name: "ForAllValues on an absent key is true",
              policies: [policy(#"{"Sid":"Keys","Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}}"#)],
              action: "ec2:CreateTags", resource: "*", absent: ["aws:TagKeys"], expected: .allow, decidedBy: "Keys"),
        .init(name: "ForAllValues: every value must be listed",
              policies: [policy(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}}"#)],
              action: "ec2:CreateTags", resource: "*", context: ["aws:TagKeys": ["team", "owner"]], expected: .implicitDeny),
        .init(name: "ForAllValues on an unknown key depends on it",
              policies: [policy(#"{"Sid":"Keys","Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team","env"]}}}"#)],
              action: "ec2:CreateTags", resource: "*", expected: .conditional, decidedBy: "Keys", dependsOn: ["aws:TagKeys"]),
        .init(name: "ForAnyValue on an absent key is false",
              policies: [policy(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"team"}}}"#)],
              action: "ec2:CreateTags", resource: "*", absent: ["aws:TagKeys"], expected: .implicitDeny),
        .init(name: "ForAnyValue: one value suffices",
              policies: [policy(#"{"Sid":"Any","Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"team*"}}}"#)],
              action: "ec2:CreateTags", resource: "*", context: ["aws:TagKeys": ["owner", "team-name"]], expected: .allow, decidedBy: "Any"),

        // Unknowns are never a silent allow.
        .init(name: "An Allow conditioned on an unknown key is conditional",
              policies: [policy(#"{"Sid":"Office","Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}"#)],
              action: "s3:GetObject", resource: object, expected: .conditional, decidedBy: "Office", dependsOn: ["aws:SourceIp"]),
        .init(name: "A Deny conditioned on an unknown key makes an Allow conditional",
              policies: [policy(allowAll + #",{"Sid":"OnlyOffice","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}"#)],
              action: "s3:GetObject", resource: object, expected: .conditional, decidedBy: "All", dependsOn: ["aws:SourceIp"]),
        .init(name: "A Deny on an unknown key does not rescue a missing Allow",
              policies: [policy(#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#)],
              action: "s3:GetObject", resource: object, expected: .implicitDeny),
        .init(name: "A failing known condition settles it even with an unknown one",
              policies: [policy(#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}"#)],
              action: "s3:GetObject", resource: object, context: ["aws:RequestedRegion": ["us-east-1"]], expected: .implicitDeny),

        // Policy variables.
        .init(name: "A policy variable the request does not give makes it depend",
              policies: [policy(#"{"Sid":"Home","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#)],
              action: "s3:GetObject", resource: "arn:aws:s3:::home/alice/notes.txt", expected: .conditional, decidedBy: "Home", dependsOn: ["${aws:username}"]),
        .init(name: "A policy variable that cannot match whatever its value is does not",
              policies: [policy(#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#)],
              action: "s3:GetObject", resource: "arn:aws:s3:::photos/cat.jpg", expected: .implicitDeny),
        .init(name: "A policy variable the context gives is substituted",
              policies: [policy(#"{"Sid":"Home","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#)],
              action: "s3:GetObject", resource: "arn:aws:s3:::home/alice/notes.txt", context: ["aws:username": ["bob"]], expected: .implicitDeny),
        .init(name: "A policy variable in a condition value",
              policies: [policy(#"{"Sid":"Own","Effect":"Allow","Action":"ec2:StopInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/owner":"${aws:username}"}}}"#)],
              action: "ec2:StopInstances", resource: "*", context: ["aws:ResourceTag/owner": ["alice"], "aws:username": ["alice"]], expected: .allow, decidedBy: "Own"),
        .init(name: "A policy variable's default applies when the key is absent",
              policies: [policy(#"{"Sid":"Guest","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username, 'guest'}/*"}"#)],
              action: "s3:GetObject", resource: "arn:aws:s3:::home/guest/notes.txt", absent: ["aws:username"], expected: .allow, decidedBy: "Guest"),
        .init(name: "In version 2008-10-17 ${...} is literal text",
              policies: [policy(#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#, version: "2008-10-17")],
              action: "s3:GetObject", resource: "arn:aws:s3:::home/alice/notes.txt", expected: .implicitDeny),

        // Several files: their union.
        .init(name: "Several policies: an Allow in one, a Deny in another",
              policies: [readPhotos, policy(#"{"Sid":"NoRaw","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/raw/*"}"#)],
              action: "s3:GetObject", resource: "arn:aws:s3:::photos/raw/cat.cr2", expected: .explicitDeny, decidedBy: "NoRaw"),
        .init(name: "Several policies: the second one allows",
              policies: [readPhotos, policy(#"{"Sid":"Queue","Effect":"Allow","Action":"sqs:*","Resource":"*"}"#)],
              action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:123456789012:q", expected: .allow, decidedBy: "Queue"),
    ]

    @Test("Decisions", arguments: cases)
    func decide(_ item: Case) throws {
        let policies = try item.policies.enumerated().map { index, json in
            try IAMPolicy.parse(Data(json.utf8), source: "p\(index + 1).json")
        }
        var context = RequestContext()
        for (key, values) in item.context { context.set(key, to: values) }
        for key in item.absent { context.setAbsent(key) }
        let decision = PolicyEvaluator(policies: policies).evaluate(action: item.action, resource: ResourceText(item.resource), context: context)
        #expect(decision.outcome == item.expected, "\(decision.reason)")
        #expect(decision.statements.first?.sid == item.decidedBy, "\(decision.reason)")
        if item.expected == .conditional {
            #expect(decision.dependsOn == item.dependsOn)
        } else {
            #expect(decision.dependsOn.isEmpty)
        }
    }

    @Test("The deciding statement names its file when several are given")
    func fileNamed() throws {
        let policies = try [Self.readPhotos, Self.policy(#"{"Effect":"Deny","Action":"s3:*","Resource":"*"}"#)].enumerated().map {
            try IAMPolicy.parse(Data($0.element.utf8), source: "p\($0.offset + 1).json")
        }
        let decision = PolicyEvaluator(policies: policies).evaluate(action: "s3:GetObject", resource: ResourceText(Self.object))
        #expect(decision.statements == [.init(source: "p2.json", number: 1, sid: nil)])
        #expect(decision.reason.hasPrefix("explicitly denied by statement 1 of p2.json"))
    }

    @Test("A CSM call's unknown resource: definite only for patterns that cover every candidate")
    func unknownResource() throws {
        let resolver = RequestResolver()
        let (resources, scope) = resolver.resources(for: "s3:GetObject", parameters: nil, region: "us-east-1")
        let request = AuthorizationRequest(action: "s3:GetObject", resources: resources, scope: scope)
        func decide(_ resource: String) throws -> Decision {
            let policy = try IAMPolicy.parse(Data(Self.policy(#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"\#(resource)"}"#).utf8), source: "p.json")
            return PolicyEvaluator(policies: [policy]).evaluate(request)
        }
        #expect(try decide("*").outcome == .allow)
        #expect(try decide("arn:aws:sqs:*:*:*").outcome == .implicitDeny)
        let bucketOnly = try decide("arn:aws:s3:::*/*")
        #expect(bucketOnly.outcome == .conditional)
        #expect(bucketOnly.dependsOn.contains("the resource (the capture does not name it)"))
        let specific = try decide("arn:aws:s3:::photos/*")
        #expect(specific.outcome == .conditional)
        #expect(specific.dependsOn.contains("${BucketName} in the resource"))
    }

    @Test("An implicit deny says which statement came close")
    func nearMiss() throws {
        let policy = try IAMPolicy.parse(Data(Self.readPhotos.utf8), source: "p.json")
        let decision = PolicyEvaluator(policies: [policy]).evaluate(action: "s3:GetObject", resource: ResourceText("arn:aws:s3:::other/x"))
        #expect(decision.reason.contains(#"statement 1 "ReadPhotos" of p.json matches the action but its Resource is arn:aws:s3:::photos/*"#))
    }
}
