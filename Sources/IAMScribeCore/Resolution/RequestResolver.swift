#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turns observed calls into authorization requests: the actions the table says a call needs,
/// on the resources its parameters name, in the context it gives (region and time).
///
/// Resources are built from the IAM data's ARN templates. `${Partition}` comes from the region
/// (`cn-*` is `aws-cn`, `us-gov-*` is `aws-us-gov`), `${Region}` from the call, `${Account}` from
/// the resolver's account when given (or a queue URL), and the other variables from the call's
/// parameters. What stays unknown stays an unknown part of the ARN, so that the evaluator answers
/// "depends" where it matters. How the resource types of an action combine:
///
/// - no resource types: the resource is `*`;
/// - two or more required types (`ec2:RunInstances`): the call acts on each, all must be allowed;
/// - one required type: that one;
/// - only optional types (`s3:GetObject` on an object or an access point): the types whose
///   variables the parameters fill; when none fills, the call acted on one of them, unknown which.
public struct RequestResolver: Sendable {
    /// What became of one call.
    public enum Resolution: Sendable {
        /// The call needs these requests allowed (one per action).
        case requests([AuthorizationRequest], CallPermissions)
        /// The call makes no request to evaluate: it needs no permission, or the table maps it
        /// to nothing or does not know it (see ``ResolutionNotes/record(_:of:)``).
        case notEvaluated(CallResolution)
    }

    /// The table actions and ARN templates come from.
    public var table: ActionTable { classifier.table }
    /// The account the calls were made in, when the user says; otherwise `${Account}` is unknown.
    public let account: String?
    /// Where calls are classified: the same path as the policy builder's.
    public let classifier: CallClassifier

    /// Creates a resolver.
    ///
    /// - Parameters:
    ///   - table: The action table.
    ///   - account: The 12-digit account id the calls were made in, when known.
    public init(table: ActionTable = .bundled, account: String? = nil) {
        classifier = CallClassifier(table: table)
        self.account = account
    }

    /// The requests one observed call makes.
    ///
    /// - Parameter call: The call.
    /// - Returns: The requests, or the call's classification when there are none.
    public func resolve(_ call: ObservedCall) -> Resolution {
        let resolution = classifier.classify(call)
        guard case .mapped(let permissions) = resolution else { return .notEvaluated(resolution) }
        let context = RequestContext(region: call.region, time: call.time)
        let requests = permissions.actions.map { action in
            let (resources, scope) = resources(for: action, parameters: call.parameters, region: call.region)
            return AuthorizationRequest(action: action, resources: resources, scope: scope, context: context)
        }
        return .requests(requests, permissions)
    }

    /// The resources an action acts on.
    ///
    /// - Parameters:
    ///   - action: The action, `prefix:Name`.
    ///   - parameters: The call's parameters, or nil when unknown (CSM).
    ///   - region: The region the call went to.
    /// - Returns: The resources and how they combine.
    public func resources(
        for action: String, parameters: [String: String]?, region: String?
    ) -> (resources: [ResourceText], scope: AuthorizationRequest.ResourceScope) {
        let parts = action.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let iam = table.iamService(prefix: parts[0]), let known = iam.action(named: parts[1]) else {
            // An action the IAM data does not list: nothing is known of its resource.
            return ([ResourceText(pieces: [.unknown("Resource")])], .allOf)
        }
        let types = known.resourceTypes.filter { iam.arnTemplates[$0.name] != nil }
        if types.isEmpty { return ([.any], .allOf) }
        let parameters = parameters.map(Parameters.init)
        let filled = types.map { (type: $0, fill: fill(iam.arnTemplates[$0.name] ?? "", parameters, region)) }
        let required = filled.filter(\.type.required)
        if required.count >= 2 { return (required.map(\.fill.resource), .allOf) }
        if required.count == 1 { return ([required[0].fill.resource], .allOf) }
        let complete = filled.filter(\.fill.complete)
        let chosen = complete.isEmpty ? filled : complete
        return (Array(Set(chosen.map(\.fill.resource))).sorted { $0.description < $1.description }, chosen.count == 1 ? .allOf : .oneOf)
    }

    /// The partition a region is in; nil when the region is unknown.
    static func partition(region: String?) -> String? {
        guard let region else { return nil }
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        if region.hasPrefix("us-isob-") { return "aws-iso-b" }
        if region.hasPrefix("us-iso-") { return "aws-iso" }
        return "aws"
    }

    /// A template filled: the resource, and whether every variable naming the resource itself
    /// (all but partition, region and account) was known.
    private func fill(_ template: String, _ parameters: Parameters?, _ region: String?) -> (resource: ResourceText, complete: Bool) {
        var pieces: [ResourceText.Piece] = []
        var complete = true
        var named = 0
        var wholeARN: String?
        var accountFromParameters: String?
        var rest = Substring(template)
        var placeholders: [(index: Int, variable: String)] = []
        while let open = rest.firstRange(of: "${") {
            pieces.append(.text(String(rest[..<open.lowerBound])))
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let variable = String(rest[open.upperBound..<close])
            rest = rest[rest.index(after: close)...]
            switch variable {
            case "Partition":
                pieces.append(Self.partition(region: region).map { .text($0) } ?? .unknown("Partition"))
            case "Region":
                pieces.append(region.map { .text($0) } ?? .unknown("Region"))
            case "Account":
                placeholders.append((pieces.count, variable))
                pieces.append(.unknown("Account"))
            default:
                named += 1
                if let found = parameters?.value(for: variable) {
                    if found.value.hasPrefix("arn:") { wholeARN = found.value }
                    if let account = found.account { accountFromParameters = account }
                    pieces.append(.text(found.value))
                } else {
                    complete = false
                    pieces.append(.unknown(variable))
                }
            }
        }
        pieces.append(.text(String(rest)))
        // A parameter that is itself the resource's ARN (a Lambda function ARN, a table ARN) is the resource.
        if named == 1, let wholeARN { return (ResourceText(wholeARN), true) }
        if let known = account ?? accountFromParameters {
            for placeholder in placeholders { pieces[placeholder.index] = .text(known) }
        }
        return (ResourceText(pieces: pieces), complete && named > 0)
    }

    /// A call's parameters, looked up by ARN template variable.
    private struct Parameters {
        private let byName: [String: String]

        init(_ parameters: [String: String]) {
            var byName: [String: String] = [:]
            for (key, value) in parameters where !value.isEmpty { byName[Self.normalize(key)] = value }
            self.byName = byName
        }

        /// Template variables whose parameter is named differently.
        private static let aliases: [String: [String]] = [
            "objectname": ["key"],
            "bucketname": ["bucket"],
            "queuename": ["queuename", "queueurl"],
            "parameternamewithoutleadingslash": ["name", "parametername"],
            "rolenamewithpath": ["rolename"],
            "usernamewithpath": ["username"],
            "groupnamewithpath": ["groupname"],
            "awsusername": ["username"],
        ]

        func value(for variable: String) -> (value: String, account: String?)? {
            let name = Self.normalize(variable)
            var candidates = Self.aliases[name] ?? []
            candidates.append(name)
            for suffix in ["name", "id"] {
                if name.hasSuffix(suffix), name.count > suffix.count { candidates.append(String(name.dropLast(suffix.count))) }
                candidates.append(name + suffix)
            }
            guard let (key, value) = candidates.lazy.compactMap({ key in self.byName[key].map { (key, $0) } }).first else {
                return nil
            }
            if key == "queueurl" {
                // https://sqs.us-east-1.amazonaws.com/123456789012/name: the queue's name and its account.
                let path = URL(string: value)?.path.split(separator: "/").map(String.init) ?? []
                guard let queue = path.last else { return nil }
                let account = path.count >= 2 && path[path.count - 2].count == 12 && path[path.count - 2].allSatisfy(\.isNumber)
                    ? path[path.count - 2] : nil
                return (queue, account)
            }
            if name == "parameternamewithoutleadingslash", value.hasPrefix("/") { return (String(value.dropFirst()), nil) }
            return (value, nil)
        }

        private static func normalize(_ name: String) -> String {
            String(name.lowercased().unicodeScalars.filter(\.isAlphanumeric))
        }
    }
}
