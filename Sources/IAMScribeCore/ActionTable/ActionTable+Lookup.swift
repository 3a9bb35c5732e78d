extension ActionTable {
    /// Resolves the actions a call needs.
    ///
    /// - Parameters:
    ///   - serviceName: Any name of the service (see ``service(named:)``).
    ///   - operationName: The operation, matched case-insensitively.
    ///   - parameters: The call's input members when known, by member name. `nil` means unknown
    ///     (CSM): conditional actions then go to ``CallPermissions/mayAlsoNeed``. When known, a
    ///     conditional action is granted if one of its trigger members is present (the pseudo-member
    ///     ``OperationInfo/encryptedTrigger`` says that the resource uses a customer managed key).
    /// - Returns: The permissions, or the lookup failure with suggestions.
    ///
    /// A failure searches the table's names for suggestions: this is for one-off lookups.
    /// Recorded calls are resolved by ``CallClassifier``, which never searches.
    public func permissions(
        service serviceName: String, operation operationName: String, parameters: [String: String]? = nil
    ) -> Result<CallPermissions, LookupFailure> {
        guard let service = service(named: serviceName) else {
            return .failure(.unknownService(serviceName, suggestions: serviceSuggestions(for: serviceName)))
        }
        guard let operation = operation(operationName, of: service) else {
            return .failure(.unknownOperation(operationName, service: service.module,
                                              suggestions: operationSuggestions(for: operationName, in: service)))
        }
        let needed = Self.actions(of: operation, parameters: parameters)
        return .success(CallPermissions(service: service, operation: operation, actions: needed.actions,
                                        mayAlsoNeed: needed.mayAlsoNeed))
    }

    /// The actions a call of `operation` needs, given the parameters it showed (nil when they
    /// are unknown), and the conditional actions it may also need.
    static func actions(of operation: OperationInfo, parameters: [String: String]?) -> (actions: [String], mayAlsoNeed: [String]) {
        actions(of: operation, triggered: parameters.map { triggeredConditionals(of: operation, parameters: $0) },
                settled: parameters.map { settledConditionals(of: operation, parameters: $0) } ?? 0)
    }

    /// Whether a parameter is given, under its name in any case.
    private static func given(_ member: String, in parameters: [String: String]) -> Bool {
        parameters[member] != nil
            || parameters.keys.contains { $0.utf8.count == member.utf8.count && $0.caseInsensitiveEquals(member) }
    }

    /// Whether a presence or value trigger holds for a call's parameters.
    private static func holds(_ trigger: OperationInfo.ConditionalAction.ParsedTriggers.Present, in parameters: [String: String]) -> Bool {
        guard let values = trigger.values else { return given(trigger.member, in: parameters) }
        return parameters.contains { key, value in
            key.caseInsensitiveEquals(trigger.member) && values.contains { $0.caseInsensitiveEquals(value) }
        }
    }

    /// Which of an operation's conditional actions known parameters settle as not needed although
    /// their kind would leave them "may also need": those with a `+Member` the call does not give
    /// (an SSM parameter read without `WithDecryption` decrypts nothing, encrypted or not). One
    /// bit each, as ``triggeredConditionals(of:parameters:)``.
    static func settledConditionals(of operation: OperationInfo, parameters: [String: String]) -> UInt64 {
        var settled: UInt64 = 0
        for (index, conditional) in operation.conditionalActions.prefix(64).enumerated()
        where !conditional.parsed.required.isEmpty && !conditional.parsed.required.allSatisfy({ holds($0, in: parameters) }) {
            settled |= 1 << UInt64(index)
        }
        return settled
    }

    /// Which of an operation's conditional actions the parameters of a call trigger, one bit each
    /// (bit `i` for `conditionalActions[i]`): a conditional action is triggered when one of its
    /// trigger members is present (or, for a value trigger, holds one of its values) and none of its
    /// absent members (`!Member`) is. Operations have a handful of conditional actions at most;
    /// those past the 64th never count as triggered.
    static func triggeredConditionals(of operation: OperationInfo, parameters: [String: String]) -> UInt64 {
        var triggered: UInt64 = 0
        for (index, conditional) in operation.conditionalActions.prefix(64).enumerated() {
            let triggers = conditional.parsed
            let present = triggers.present.contains { holds($0, in: parameters) }
                && !triggers.absent.contains { given($0, in: parameters) }
                && triggers.required.allSatisfy { holds($0, in: parameters) }
            if present { triggered |= 1 << UInt64(index) }
        }
        return triggered
    }

    /// The actions a call of `operation` needs given the conditional actions its parameters
    /// trigger (nil when its parameters are unknown), and those it may also need.
    static func actions(of operation: OperationInfo, triggered: UInt64?, settled: UInt64 = 0) -> (actions: [String], mayAlsoNeed: [String]) {
        var actions = operation.actions
        var mayAlsoNeed: [String] = []
        for (index, conditional) in operation.conditionalActions.enumerated() where !actions.contains(conditional.action) {
            if let triggered, index < 64, triggered & 1 << UInt64(index) != 0 {
                actions.append(conditional.action)
            } else if triggered == nil || conditional.kind != .parameter && (index >= 64 || settled & 1 << UInt64(index) == 0) {
                // Known parameters without the trigger member settle it: not needed. Otherwise
                // unknown: the parameters were not seen, or they cannot tell (whether the resource
                // uses a customer managed key, unless a recording saw it, or the service's behaviour).
                mayAlsoNeed.append(conditional.action)
            }
        }
        return (actions, mayAlsoNeed)
    }

    /// Every operation, across all services, whose actions include `action` (always or conditionally).
    public func operations(needing action: String) -> [(service: ServiceInfo, operation: OperationInfo, conditional: Bool)] {
        var found: [(ServiceInfo, OperationInfo, Bool)] = []
        for service in services {
            for operation in operations(of: service) {
                if operation.actions.contains(where: { $0.caseInsensitiveEquals(action) }) {
                    found.append((service, operation, false))
                } else if operation.conditionalActions.contains(where: { $0.action.caseInsensitiveEquals(action) }) {
                    found.append((service, operation, true))
                }
            }
        }
        return found
    }

    /// The ARN templates of the resource types an action applies to.
    public func arnTemplates(for action: String) -> [(resourceType: String, arn: String, required: Bool)] {
        let parts = action.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let iam = iamService(prefix: parts[0]), let known = iam.action(named: parts[1]) else {
            return []
        }
        return known.resourceTypes.compactMap { type in
            iam.arnTemplates[type.name].map { (type.name, $0, type.required) }
        }
    }

    /// The longest name, in bytes, that suggestions are searched for: the longest operation name
    /// the table knows has 63 characters, and the search costs the name's length times each
    /// candidate's, so a longer name (up to 8 KiB in a datagram) gets none.
    static let longestSuggestedName = 80

    /// Known service names closest to `name`, best first.
    ///
    /// A search over the table's names, for one-off paths (`lookup`, a report's few examples),
    /// never for each call: see ``CallClassifier``. Names longer than 80 bytes get none; answers
    /// are cached.
    public func serviceSuggestions(for name: String) -> [String] {
        suggestions(key: "\u{0}" + name, name: name) {
            Array(Set(services.flatMap { [$0.module, $0.serviceID] }))
        }
    }

    /// Operation names of `service` closest to `name`, best first.
    ///
    /// For one-off paths, as ``serviceSuggestions(for:)``: capped and cached.
    public func operationSuggestions(for name: String, in service: ServiceInfo) -> [String] {
        suggestions(key: service.module + "\u{0}" + name, name: name) { operations(of: service).map(\.name) }
    }

    /// How many suggestion searches this table has run (cached answers not counted): tests
    /// check that resolving calls runs none.
    package var suggestionSearches: Int { suggestionCache.withLock { $0.searches } }

    private func suggestions(key: String, name: String, candidates: () -> [String]) -> [String] {
        guard name.utf8.count <= Self.longestSuggestedName else { return [] }
        if let cached = suggestionCache.withLock({ $0.answers[key] }) { return cached }
        let found = Self.closest(to: name, among: candidates())
        suggestionCache.withLock { cache in
            cache.searches += 1
            // Bounded: a batch of distinct unknown names must not grow it without end.
            if cache.answers.count >= 1024 { cache.answers.removeAll(keepingCapacity: true) }
            cache.answers[key] = found
        }
        return found
    }

    static func closest(to name: String, among candidates: [String], limit: Int = 3) -> [String] {
        let target = Array(name.lowercased().utf8)
        let scored = candidates.map { candidate -> (String, Int) in
            let lowered = candidate.lowercased()
            var distance = editDistance(target, Array(lowered.utf8))
            // A prefix or substring match is a strong hint (`dynamo` for `dynamodb`).
            if lowered.hasPrefix(name.lowercased()) || lowered.contains(name.lowercased()) { distance = min(distance, 1) }
            return (candidate, distance)
        }
        let threshold = max(3, target.count / 2)
        return scored.filter { $0.1 <= threshold }
            .sorted { ($0.1, $0.0.count, $0.0) < ($1.1, $1.0.count, $1.0) }
            .prefix(limit).map(\.0)
    }

    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// Why a lookup found nothing.
public enum LookupFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// No service goes by that name.
    case unknownService(String, suggestions: [String])
    /// The service has no operation by that name.
    case unknownOperation(String, service: String, suggestions: [String])

    public var description: String {
        switch self {
        case .unknownService(let name, let suggestions):
            return "unknown service '\(name)'" + Self.hint(suggestions)
        case .unknownOperation(let name, let service, let suggestions):
            return "unknown operation '\(name)' of service '\(service)'" + Self.hint(suggestions)
        }
    }

    private static func hint(_ suggestions: [String]) -> String {
        suggestions.isEmpty ? "" : "; did you mean " + suggestions.map { "'\($0)'" }.joined(separator: ", ") + "?"
    }
}

extension StringProtocol {
    /// Whether the two are equal once lowercased (and as long in characters).
    func caseInsensitiveEquals(_ other: some StringProtocol) -> Bool {
        // ASCII text, the common case, is compared byte by byte without lowercased copies: two
        // ASCII strings differ once lowercased exactly when their bytes do, lowercased one by one.
        var mine = utf8.makeIterator(), theirs = other.utf8.makeIterator()
        while true {
            switch (mine.next(), theirs.next()) {
            case (nil, nil):
                return true
            case let (a?, b?) where a < 0x80 && b < 0x80:
                if ASCII.lower(a) != ASCII.lower(b) { return false }
            default:
                // Different lengths or non-ASCII text: only the latter needs the full comparison.
                guard utf8.contains(where: { $0 >= 0x80 }) || other.utf8.contains(where: { $0 >= 0x80 }) else { return false }
                return count == other.count && lowercased() == other.lowercased()
            }
        }
    }
}
