/// What resolving calls found besides the actions they need: calls that need no permission,
/// calls the table maps to nothing, calls naming something it does not know, and conditional
/// actions the calls' parameters did not settle.
///
/// The one notes type: `generate`, `record` and `run` show it next to the policy, `diff` in its
/// NOTES and its JSON report's `notes`. Everything in it is bounded: names of permissionless and
/// unmapped calls and of operations are the table's own; unknown names are aggregated
/// (``UnknownNames``).
public struct ResolutionNotes: Sendable, Hashable {
    /// An action some calls may also need.
    public struct MayAlsoNeed: Sendable, Codable, Hashable {
        /// The action.
        public var action: String
        /// The operations that may need it, `Service Operation`, sorted.
        public var neededBy: [String]
        /// `allow`, `deny` or `conditional`: what the policies would say of it on the call's
        /// resource, when a diff evaluated it; nil otherwise.
        public var decision: String?
        /// Why the operations may need it: a parameter the calls did not show, a resource that
        /// may use a customer managed key, or the service's behaviour.
        public var why: OperationInfo.ConditionKind

        /// Creates an entry.
        public init(action: String, neededBy: [String], decision: String? = nil,
                    why: OperationInfo.ConditionKind = .serviceBehaviour) {
            self.action = action
            self.neededBy = neededBy
            self.decision = decision
            self.why = why
        }

        private enum CodingKeys: String, CodingKey {
            case action, neededBy, decision, why
        }

        /// Reads an entry; one written before `why` existed reads as the service's behaviour.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            action = try container.decode(String.self, forKey: .action)
            neededBy = try container.decode([String].self, forKey: .neededBy)
            decision = try container.decodeIfPresent(String.self, forKey: .decision)
            why = try container.decodeIfPresent(OperationInfo.ConditionKind.self, forKey: .why) ?? .serviceBehaviour
        }
    }

    /// Permissionless calls, `prefix:Operation` to count.
    public var permissionless: [String: Int] = [:]
    /// Calls the table knows but maps to no action, `module.Operation` to count.
    public var unmapped: [String: Int] = [:]
    /// Calls naming a service or operation the table does not know.
    public var unknown = UnknownNames()
    /// Conditional actions, by why and action as the table spells it: the operations that may
    /// need it and the decision so far.
    private var mayAlsoNeedByAction: [Key: MayAlsoNeed] = [:]

    private struct Key: Hashable, Sendable {
        let action: String
        let why: OperationInfo.ConditionKind
    }

    /// Creates empty notes.
    public init() {}

    /// Actions some calls may also need depending on parameters the capture does not show,
    /// sorted by action.
    public var mayAlsoNeed: [MayAlsoNeed] {
        mayAlsoNeedByAction.values.sorted {
            ($0.action.lowercased(), $0.action, $0.why.order) < ($1.action.lowercased(), $1.action, $1.why.order)
        }
    }

    /// Whether there is nothing to note.
    public var isEmpty: Bool {
        permissionless.isEmpty && unmapped.isEmpty && unknown.isEmpty && mayAlsoNeedByAction.isEmpty
    }

    /// Notes one call that did not resolve to actions: counts it as permissionless or unmapped,
    /// or adds it to the unknown names. A mapped call changes nothing (its conditional actions
    /// are noted with ``noteMayAlsoNeed(_:neededBy:decision:)``).
    ///
    /// - Parameters:
    ///   - resolution: The call's classification.
    ///   - call: The call.
    public mutating func record(_ resolution: CallResolution, of call: ObservedCall) {
        switch resolution {
        case .mapped:
            return
        case .permissionless(let permissions):
            permissionless[permissions.actionStyleName, default: 0] += 1
        case .unmapped(let permissions):
            unmapped[permissions.moduleStyleName, default: 0] += 1
        case .unknownService:
            unknown.add(.service, service: call.service, operation: call.operation)
        case .unknownOperation(let service):
            unknown.add(.operation, service: call.service, operation: call.operation, module: service.module)
        }
    }

    /// Notes that an operation may also need an action.
    ///
    /// - Parameters:
    ///   - action: The conditional action.
    ///   - operation: The operation, `Service Operation`.
    ///   - decision: What the policies say of it, when evaluated: decisions that differ between
    ///     calls make it `conditional`.
    ///   - why: Why the operation may need it (the conditional action's kind in the table).
    public mutating func noteMayAlsoNeed(_ action: String, neededBy operation: String, decision: String? = nil,
                                         why: OperationInfo.ConditionKind = .serviceBehaviour) {
        let key = Key(action: action, why: why)
        guard var entry = mayAlsoNeedByAction[key] else {
            mayAlsoNeedByAction[key] = MayAlsoNeed(action: action, neededBy: [operation], decision: decision, why: why)
            return
        }
        if !entry.neededBy.contains(operation) {
            entry.neededBy.insert(operation, at: entry.neededBy.firstIndex { $0 > operation } ?? entry.neededBy.endIndex)
        }
        if entry.decision != decision { entry.decision = Self.combine(entry.decision, decision) }
        mayAlsoNeedByAction[key] = entry
    }

    /// Whether an operation was noted as maybe needing an action for a reason.
    func notedMayAlsoNeed(_ action: String, neededBy operation: String, why: OperationInfo.ConditionKind) -> Bool {
        mayAlsoNeedByAction[Key(action: action, why: why)]?.neededBy.contains(operation) == true
    }

    /// Takes in what other notes hold after what these hold.
    ///
    /// - Parameter other: The later notes.
    public mutating func merge(_ other: ResolutionNotes) {
        permissionless.merge(other.permissionless, uniquingKeysWith: +)
        unmapped.merge(other.unmapped, uniquingKeysWith: +)
        unknown.merge(other.unknown)
        for entry in other.mayAlsoNeedByAction.values {
            for operation in entry.neededBy {
                noteMayAlsoNeed(entry.action, neededBy: operation, decision: entry.decision, why: entry.why)
            }
        }
    }

    /// These notes without the conditional actions a policy grants anyway.
    ///
    /// - Parameter granted: Actions granted, as the table spells them.
    /// - Returns: The notes, their may-also-need list narrowed.
    public func excludingMayAlsoNeed(_ granted: Set<String>) -> ResolutionNotes {
        var notes = self
        notes.mayAlsoNeedByAction = mayAlsoNeedByAction.filter { !granted.contains($0.value.action) }
        return notes
    }

    /// These notes with "did you mean" suggestions for the unknown names kept as examples.
    ///
    /// Searching the table's names costs milliseconds a name, so it is done here, once for a
    /// report's few examples (at most ``UnknownNames/examplesPerKind`` of each kind), never as
    /// calls are resolved. Names that were cut get none.
    ///
    /// - Parameter table: The table to search.
    /// - Returns: The notes, with suggestions.
    public func suggesting(from table: ActionTable) -> ResolutionNotes {
        var notes = self
        for index in notes.unknown.examples.indices {
            let example = notes.unknown.examples[index]
            guard !example.isCut, example.suggestions.isEmpty else { continue }
            switch example.kind {
            case .service:
                notes.unknown.examples[index].suggestions = table.serviceSuggestions(for: example.service)
            case .operation:
                guard let service = table.service(named: example.service) else { continue }
                notes.unknown.examples[index].suggestions = table.operationSuggestions(for: example.operation, in: service)
            }
        }
        return notes
    }

    private static func combine(_ a: String?, _ b: String?) -> String? {
        guard let a else { return b }
        guard let b else { return a }
        return a == b ? a : "conditional"
    }
}

extension OperationInfo.ConditionKind {
    /// The order reports group by: what the calls' parameters would tell first, then what the
    /// resource tells, then what nothing in the calls tells.
    var order: Int {
        switch self {
        case .parameter: 0
        case .encryptedResource: 1
        case .serviceBehaviour: 2
        }
    }
}
