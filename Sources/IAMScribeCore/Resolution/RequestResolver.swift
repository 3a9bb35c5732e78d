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
        let account = account(of: call)
        let requests = permissions.actions.map { action in
            let (resources, scope) = resources(for: action, operation: permissions.operation, parameters: call.parameters,
                                               region: call.region, account: account, listed: call.resourceARNs)
            return AuthorizationRequest(action: action, resources: resources, scope: scope, context: context)
        }
        return .requests(requests, permissions)
    }

    /// The account a call was made in: the one its source recorded (CloudTrail), else the
    /// resolver's, else the one its access key id encodes (``AccessKeyID/accountID``), else nil.
    public func account(of call: ObservedCall) -> String? {
        // The account a source records for the call (CloudTrail's recipientAccountId) is exact.
        call.account ?? account ?? call.accessKeyID?.accountID
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
        resources(for: action, operation: nil, parameters: parameters, region: region, account: account)
    }

    /// The resources an action of an operation acts on: the one resolution `generate`, `diff`,
    /// `evaluate` and `lookup` share.
    ///
    /// - Parameters:
    ///   - action: The action, `prefix:Name`.
    ///   - operation: The operation called, whose ``OperationInfo/resourceFills`` say how its
    ///     parameters fill the templates; nil: each variable from the member of the same name.
    ///   - parameters: The call's parameters, or nil when unknown (CSM).
    ///   - region: The region the call went to.
    ///   - account: The account the call was made in, when known.
    ///   - listed: Resource ARNs the source names for the call (CloudTrail's `resources[].ARN`).
    /// - Returns: The resources and how they combine.
    public func resources(
        for action: String, operation: OperationInfo?, parameters: [String: String]?, region: String?, account: String?,
        listed: [String]? = nil
    ) -> (resources: [ResourceText], scope: AuthorizationRequest.ResourceScope) {
        let typed = typedResources(for: action, operation: operation, parameters: parameters, region: region, account: account,
                                   listed: listed)
        return (typed.resources.map(\.resource), typed.scope)
    }

    /// ``resources(for:operation:parameters:region:account:)`` with the resource type of each
    /// (nil for `*` and for an action the IAM data does not list): the policy builder collapses
    /// many resources of one type.
    ///
    /// `listed` are resource ARNs the source itself names for the call (CloudTrail's
    /// `resources[].ARN`): those of the action's types are its resources, exact, before any fill.
    func typedResources(
        for action: String, operation: OperationInfo?, parameters: [String: String]?, region: String?, account: String?,
        listed: [String]? = nil
    ) -> (resources: [(type: String?, resource: ResourceText)], scope: AuthorizationRequest.ResourceScope) {
        let parts = action.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let iam = table.iamService(prefix: parts[0]), let known = iam.action(named: parts[1]) else {
            // An action the IAM data does not list: nothing is known of its resource.
            return ([(nil, ResourceText(pieces: [.unknown("Resource")]))], .allOf)
        }
        var types = known.resourceTypes.filter { iam.arnTemplates[$0.name] != nil }
        if types.isEmpty { return ([(nil, .any)], .allOf) }
        if let listed, !listed.isEmpty {
            let named = types.flatMap { type in
                listed.filter { Self.fits($0, iam.arnTemplates[type.name] ?? "") }.map { (type: Optional(type.name), resource: ResourceText($0)) }
            }
            if !named.isEmpty { return (named, .allOf) }
        }
        let fills = operation?.resourceFills.filter { $0.action == nil || $0.action == action }.flatMap(\.variables) ?? []
        let parameters = parameters.map { Parameters($0, fills: fills) }
        // `@TYPE=MEMBER:given`: with that member, the action acts on that type (an index, not its table).
        if let parameters {
            for fill in fills where fill.name.hasPrefix("@") {
                let type = String(fill.name.dropFirst())
                if let member = fill.member, parameters.has(member), let chosen = types.first(where: { $0.name == type }) {
                    types = [(chosen.name, true)]
                }
            }
        }
        // iam:PassRole acts on the roles the call hands over: the members that take them.
        if action == "iam:PassRole", let operation, let parameters {
            let roles = operation.resourceMembers.filter(\.isRole).compactMap { parameters.raw($0.name) }
            if !roles.isEmpty, let template = iam.arnTemplates["role"] {
                let filled = roles.map { role in
                    // A role given by name (not ARN) is under a path the call does not show.
                    let found = role.hasPrefix("arn:") ? Parameters.Found(value: role, pieces: nil, account: nil)
                        : Parameters.Found(value: role, pieces: [.unknown("Path"), .text(role)], account: nil)
                    return fill(template, parameters, region, account, override: ["RoleNameWithPath": found])
                }
                return (filled.map { ("role", $0.resource) }, .allOf)
            }
        }
        let filled = types.map { (type: $0, fill: fill(iam.arnTemplates[$0.name] ?? "", parameters, region, account)) }
        let required = filled.filter(\.type.required)
        if required.count >= 2 { return (required.map { ($0.type.name, $0.fill.resource) }, .allOf) }
        if required.count == 1 { return ([(required[0].type.name, required[0].fill.resource)], .allOf) }
        let complete = filled.filter(\.fill.complete)
        let chosen = complete.isEmpty ? filled : complete
        var seen = Set<ResourceText>()
        let unique = chosen.filter { seen.insert($0.fill.resource).inserted }
            .sorted { $0.fill.resource.description < $1.fill.resource.description }
        return (unique.map { ($0.type.name, $0.fill.resource) }, chosen.count == 1 ? .allOf : .oneOf)
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
    ///
    /// - Parameter override: Values given for variables, as a parameter would (a role passed).
    private func fill(
        _ template: String, _ parameters: Parameters?, _ region: String?, _ account: String?,
        override: [String: Parameters.Found] = [:]
    ) -> (resource: ResourceText, complete: Bool) {
        var pieces: [ResourceText.Piece] = []
        var complete = true
        var named = 0
        var accountFromParameters: String?
        var rest = Substring(template)
        var placeholders: [Int] = []
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
                placeholders.append(pieces.count)
                pieces.append(.unknown("Account"))
            default:
                named += 1
                let found = override[variable] ?? parameters?.value(for: variable)
                if let found {
                    // A parameter that is itself the resource's ARN (a function, a stream, a role
                    // passed) is the resource, when it has the template's shape.
                    // Not an S3 key: a key is free text, which may start with "arn:".
                    if found.value.hasPrefix("arn:"), variable != "ObjectName", Self.fits(found.value, template) {
                        return (ResourceText(found.value), true)
                    }
                    if found.value.hasPrefix("arn:"), found.pieces == nil, variable != "ObjectName" {
                        // An ARN of something else: never a wrong ARN, the part stays unknown.
                        complete = false
                        pieces.append(.unknown(variable))
                        continue
                    }
                    if let account = found.account { accountFromParameters = account }
                    pieces += found.pieces ?? [.text(found.value)]
                    if found.pieces?.contains(where: { if case .unknown = $0 { true } else { false } }) == true { complete = false }
                } else {
                    complete = false
                    pieces.append(.unknown(variable))
                }
            }
        }
        pieces.append(.text(String(rest)))
        if let known = accountFromParameters ?? account {
            for placeholder in placeholders { pieces[placeholder] = .text(known) }
        }
        return (ResourceText(pieces: pieces), complete && named > 0)
    }

    /// Whether an ARN has a template's shape: the template's text in order, each variable any text.
    static func fits(_ arn: String, _ template: String) -> Bool {
        var literals: [Substring] = []
        var rest = Substring(template)
        while let open = rest.firstRange(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            literals.append(rest[..<open.lowerBound])
            rest = rest[rest.index(after: close)...]
        }
        literals.append(rest)
        if literals.count == 1 { return arn == template }
        var subject = Substring(arn)
        guard let first = literals.first, subject.hasPrefix(first) else { return false }
        subject = subject.dropFirst(first.count)
        for (index, literal) in literals.enumerated().dropFirst() {
            if index == literals.count - 1 {
                return subject.hasSuffix(literal)
            }
            guard !literal.isEmpty else { continue }
            guard let found = subject.firstRange(of: literal) else { return false }
            subject = subject[found.upperBound...]
        }
        return true
    }

    /// A call's parameters, looked up by ARN template variable: through the operation's
    /// ``ResourceFill``s first, then by the member named like the variable.
    struct Parameters {
        /// A variable's value: the text, or pieces when part of it is unknown (an IAM name under an
        /// unknown path), and the account the value names, when it does.
        struct Found {
            let value: String
            let pieces: [ResourceText.Piece]?
            let account: String?
        }

        private let byName: [String: String]
        private let fills: [ResourceFill.Variable]

        init(_ parameters: [String: String], fills: [ResourceFill.Variable]) {
            var byName: [String: String] = [:]
            for (key, value) in parameters where !value.isEmpty { byName[Self.normalize(key)] = value }
            self.byName = byName
            self.fills = fills
        }

        /// Whether a member is given with a value.
        func has(_ member: String) -> Bool { byName[Self.normalize(member)] != nil }

        /// A member's value.
        func raw(_ member: String) -> String? { byName[Self.normalize(member)] }

        /// Template variables whose parameter is named differently.
        static let aliases: [String: [String]] = [
            "objectname": ["key"],
            "bucketname": ["bucket"],
            "queuename": ["queuename", "queueurl"],
            "parameternamewithoutleadingslash": ["name", "parametername"],
            "rolenamewithpath": ["rolename"],
            "usernamewithpath": ["username"],
            "groupnamewithpath": ["groupname"],
            "awsusername": ["username"],
        ]

        func value(for variable: String) -> Found? {
            let mapped = fills.filter { $0.name == variable }
            if !mapped.isEmpty {
                // An override decides this variable: its members, in order; nothing else is guessed.
                for fill in mapped {
                    guard let member = fill.member, let value = raw(member) else { continue }
                    if let found = Self.transform(value, fill, self) { return found }
                }
                return nil
            }
            let name = Self.normalize(variable)
            guard let (key, value) = Self.candidates(for: variable).lazy.compactMap({ key in self.byName[key].map { (key, $0) } }).first else {
                return nil
            }
            if key == "queueurl" { return Self.queue(value) }
            if name == "parameternamewithoutleadingslash", value.hasPrefix("/") { return Found(value: String(value.dropFirst()), pieces: nil, account: nil) }
            return Found(value: value, pieces: nil, account: nil)
        }

        /// The members, normalized (``normalize(_:)``), a variable with no ``ResourceFill`` is
        /// looked up under, in order: its aliases, its own name, and the name with `name` or `id`
        /// taken off or added (`FunctionName`: `functionname`, `function`, `functionnameid`, …).
        /// The CloudTrail reader and the Athena query keep exactly these members of a call.
        static func candidates(for variable: String) -> [String] {
            let name = normalize(variable)
            var candidates = aliases[name] ?? []
            candidates.append(name)
            for suffix in ["name", "id"] {
                if name.hasSuffix(suffix), name.count > suffix.count { candidates.append(String(name.dropLast(suffix.count))) }
                candidates.append(name + suffix)
            }
            return candidates
        }

        /// An SQS queue URL, `https://sqs.us-east-1.amazonaws.com/123456789012/name`: the queue's
        /// name and its account.
        private static func queue(_ value: String) -> Found? {
            let path = URL(string: value)?.path.split(separator: "/").map(String.init) ?? []
            guard let queue = path.last else { return nil }
            let account = path.count >= 2 && AccessKeyID.isAccountID(path[path.count - 2]) ? path[path.count - 2] : nil
            return Found(value: queue, pieces: nil, account: account)
        }

        /// The last name of an ARN (after its last `:` or `/`), or the value when it is no ARN.
        private static func lastName(_ value: String) -> String {
            guard value.hasPrefix("arn:") else { return value }
            return String(value.split(omittingEmptySubsequences: false) { $0 == ":" || $0 == "/" }.last ?? Substring(value))
        }

        private static func plain(_ value: String) -> Found { Found(value: value, pieces: [.text(value)], account: nil) }

        private static func transform(_ value: String, _ fill: ResourceFill.Variable, _ parameters: Parameters) -> Found? {
            switch fill.transform {
            case .value, .given:
                return Found(value: value, pieces: nil, account: nil)
            case .name:
                return plain(lastName(value))
            case .urlLast:
                return queue(value)
            case .copyBucket, .copyKey:
                // x-amz-copy-source: `bucket/key`, optionally with a leading `/` and `?versionId=`,
                // percent-encoded. An access point's ARN names no bucket.
                var source = IAMPolicy.percentDecoded(value) ?? value
                if let question = source.firstIndex(of: "?") { source = String(source[..<question]) }
                if source.hasPrefix("/") { source.removeFirst() }
                guard !source.hasPrefix("arn:"), let slash = source.firstIndex(of: "/") else { return nil }
                let part = fill.transform == .copyBucket ? source[..<slash] : source[source.index(after: slash)...]
                return part.isEmpty ? nil : plain(String(part))
            case .secret:
                // An ARN is the secret's whole ARN (the caller used it); a name lacks the suffix.
                if value.hasPrefix("arn:") { return Found(value: value, pieces: nil, account: nil) }
                return plain(value + "-??????")
            case .stripSlash:
                return plain(value.hasPrefix("/") ? String(value.dropFirst()) : value)
            case .kmsKey:
                if value.hasPrefix("alias/") || value.contains(":alias/") { return nil }
                return value.hasPrefix("arn:") ? Found(value: value, pieces: nil, account: nil) : plain(value)
            case .kmsAlias:
                if value.hasPrefix("arn:") { return Found(value: value, pieces: nil, account: nil) }
                return plain(value.hasPrefix("alias/") ? String(value.dropFirst("alias/".count)) : value)
            case .lambdaFunction:
                // name, name:qualifier, 123456789012:function:name[:qualifier], or the whole ARN.
                var parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                var account: String?
                if parts.count >= 6, parts[0] == "arn", parts[5] == "function" {
                    account = parts[4]
                    parts = Array(parts.dropFirst(6))
                } else if parts.count >= 3, parts[1] == "function", AccessKeyID.isAccountID(parts[0]) {
                    account = parts[0]
                    parts = Array(parts.dropFirst(2))
                }
                guard let name = parts.first, !name.isEmpty else { return nil }
                let qualifier = parts.count > 1 ? parts[1] : fill.secondMember.flatMap { parameters.raw($0) }
                let text = qualifier.map { "\(name):\($0)" } ?? name
                return Found(value: text, pieces: [.text(text)], account: account)
            case .iamName:
                if value.hasPrefix("arn:") { return Found(value: value, pieces: nil, account: nil) }
                if let member = fill.secondMember {
                    // The call that creates it gives the path, `/` when not given.
                    let path = parameters.raw(member) ?? "/"
                    let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
                    return plain(trimmed + value)
                }
                // Named without its path, which the call does not show: `role/*name` covers it.
                return Found(value: value, pieces: [.unknown("Path"), .text(value)], account: nil)
            }
        }

        /// A name lowercased, letters and digits only: `QueueUrl`, `queue_url` and `queueURL` alike.
        static func normalize(_ name: String) -> String {
            // Member and variable names are ASCII: the Unicode properties only for the rest (it costs
            // far more a character, and this runs for every name of every resolved call).
            if name.utf8.allSatisfy({ $0 < 0x80 }) {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(name.utf8.count)
                for byte in name.utf8 {
                    switch byte {
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"): bytes.append(byte | 0x20)
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): bytes.append(byte)
                    default: break
                    }
                }
                return String(decoding: bytes, as: UTF8.self)
            }
            return String(name.lowercased().unicodeScalars.filter(\.isAlphanumeric))
        }
    }
}
