import Foundation
import Synchronization

/// Builds a minimal policy from observed calls, growing as calls come in.
///
/// The policy is one `Allow` statement on `"*"` holding every action the observed calls need,
/// each once. Calls that need no permission, and calls the table cannot map, never enter it; they
/// are kept in ``report`` so the user sees them.
public struct PolicyBuilder: Sendable {
    /// The order of the actions in the rendered policy.
    public enum ActionOrder: String, Sendable, CaseIterable {
        /// Sorted by prefix, then name, case-insensitively: stable across runs, diff-friendly.
        case alphabetical
        /// In the order they were first needed.
        case firstSeen = "first-seen"
    }

    /// Which calls enter the policy and how it is rendered.
    public struct Options: Sendable {
        /// Take only calls that failed (HTTP 4xx/5xx or an error code): what a role lacks.
        public var failsOnly: Bool
        /// The order of the actions.
        public var order: ActionOrder

        /// Creates options.
        public init(failsOnly: Bool = false, order: ActionOrder = .alphabetical) {
            self.failsOnly = failsOnly
            self.order = order
        }
    }

    /// What the builder saw besides the policy's actions.
    public struct Report: Sendable, Equatable {
        /// Calls taken (after `failsOnly`).
        public var calls = 0
        /// Calls skipped because they succeeded, with `failsOnly`.
        public var skippedSuccessful = 0
        /// Permissionless calls, `prefix:Operation` (or `service.Operation`) to count.
        public var permissionless: [String: Int] = [:]
        /// Calls the table knows but maps to no action, `service.Operation` to count.
        public var unmapped: [String: Int] = [:]
        /// Calls naming a service or operation the table does not know, with the reason.
        public var unknown: [String: String] = [:]
        /// Actions some calls may also need, to the operations that suggest them.
        public var mayAlsoNeed: [String: Set<String>] = [:]
    }

    /// The table calls are resolved against.
    public let table: ActionTable
    /// The options.
    public let options: Options
    /// What was seen besides the policy's actions.
    public private(set) var report = Report()

    private var actionsInOrder: [String] = []
    private var actionSet: Set<String> = []
    /// Resolutions of calls without parameters, by the names exactly as the client sent them:
    /// a live recording sees the same few hundred operations millions of times. Calls with
    /// parameters start from the same resolution.
    private var resolved: [CallKey: Entry] = [:]

    /// A call's resolution, shared by the calls alike (a class: the entry is copied out of the
    /// dictionary for every call), with the name reports give it.
    private final class Resolution: Sendable {
        let result: Result<CallPermissions, LookupFailure>
        /// `prefix:Operation` (the module name when the service has no IAM prefix); empty for a failure.
        let name: String

        init(_ result: Result<CallPermissions, LookupFailure>) {
            self.result = result
            guard case .success(let permissions) = result else {
                name = ""
                return
            }
            let service = permissions.service
            name = "\(service.iamPrefix.isEmpty ? service.module : service.iamPrefix):\(permissions.operation.name)"
        }
    }

    private struct Entry: Sendable {
        let resolution: Resolution
        /// The variants (see ``PolicyBuilder/variant(of:parameters:)``) already added: another
        /// call of the same variant changes nothing but the count.
        var added: [UInt64] = []
    }

    /// What decides a call's actions besides its operation: whether its parameters are known and
    /// which conditional actions they trigger. 0 when they cannot matter.
    private static func variant(of operation: OperationInfo, parameters: [String: String]?) -> UInt64? {
        guard let parameters, !operation.conditionalActions.isEmpty else { return 0 }
        // Beyond 63 conditional actions the bits cannot tell the variants apart.
        guard operation.conditionalActions.count < 64 else { return nil }
        return 1 << 63 | ActionTable.triggeredConditionals(of: operation, parameters: parameters)
    }

    private struct CallKey: Hashable, Sendable {
        let service: String
        let operation: String
    }

    /// Creates an empty builder.
    public init(table: ActionTable = .bundled, options: Options = Options()) {
        self.table = table
        self.options = options
    }

    /// The actions granted so far, in the configured order.
    public var actions: [String] {
        switch options.order {
        case .firstSeen: actionsInOrder
        case .alphabetical: actionsInOrder.sorted { $0.lowercased() < $1.lowercased() }
        }
    }

    /// Adds one call.
    ///
    /// - Returns: Whether the policy changed (a new action entered it).
    @discardableResult
    public mutating func add(_ call: ObservedCall) -> Bool {
        if options.failsOnly && !call.failed {
            report.skippedSuccessful += 1
            return false
        }
        report.calls += 1
        let key = CallKey(service: call.service, operation: call.operation)
        let cached: Entry
        if let known = resolved[key] {
            cached = known
        } else {
            cached = Entry(resolution: Resolution(table.permissions(service: call.service, operation: call.operation)))
            if resolved.count < 100_000 { resolved[key] = cached }
        }
        switch cached.resolution.result {
        case .failure(let failure):
            report.unknown["\(call.service).\(call.operation)"] = failure.description
            return false
        case .success(let base):
            let name = cached.resolution.name
            if base.isPermissionless {
                report.permissionless[name, default: 0] += 1
                return false
            }
            if base.isUnmapped {
                report.unmapped["\(base.service.module).\(base.operation.name)", default: 0] += 1
                return false
            }
            let variant = Self.variant(of: base.operation, parameters: call.parameters)
            if let variant, cached.added.contains(variant) { return false }
            // The service and operation resolve the same whatever the parameters; these only
            // settle the operation's conditional actions.
            var permissions = base
            if let parameters = call.parameters, !base.operation.conditionalActions.isEmpty {
                let triggered = variant.map { $0 & ~(1 << 63) }
                    ?? ActionTable.triggeredConditionals(of: base.operation, parameters: parameters)
                let needed = ActionTable.actions(of: base.operation, triggered: triggered)
                permissions = CallPermissions(service: base.service, operation: base.operation,
                                              actions: needed.actions, mayAlsoNeed: needed.mayAlsoNeed)
            }
            for action in permissions.mayAlsoNeed where report.mayAlsoNeed[action]?.contains(name) != true {
                report.mayAlsoNeed[action, default: []].insert(name)
            }
            var changed = false
            for action in permissions.actions where actionSet.insert(action).inserted {
                actionsInOrder.append(action)
                changed = true
            }
            if let variant, cached.added.count < 64 { resolved[key]?.added.append(variant) }
            return changed
        }
    }

    /// Adds calls in order, as ``add(_:)`` one by one would; a long list is shared out among
    /// threads, each adding a stretch of it to a builder of its own, and the builders are then
    /// joined in order.
    ///
    /// - Returns: Whether the policy changed.
    @discardableResult
    public mutating func add(contentsOf calls: [ObservedCall]) -> Bool {
        let threads = min(ProcessInfo.processInfo.activeProcessorCount, 8, calls.count / 20_000)
        guard threads > 1 else {
            var changed = false
            for index in calls.indices where add(calls[index]) { changed = true }
            return changed
        }
        let stretch = (calls.count + threads - 1) / threads
        let (table, options) = (table, options)
        let builders = Mutex<[Int: PolicyBuilder]>([:])
        DispatchQueue.concurrentPerform(iterations: threads) { part in
            var builder = PolicyBuilder(table: table, options: options)
            for index in (part * stretch)..<min(calls.count, (part + 1) * stretch) { builder.add(calls[index]) }
            builders.withLock { $0[part] = builder }
        }
        var changed = false
        // Every part has put its builder in before concurrentPerform returns.
        for part in 0..<threads {
            if let builder = builders.withLock({ $0.removeValue(forKey: part) }), join(builder) { changed = true }
        }
        return changed
    }

    /// Takes in what another builder saw after what this one saw, as though its calls had been
    /// added here.
    ///
    /// - Returns: Whether the policy changed.
    private mutating func join(_ other: PolicyBuilder) -> Bool {
        report.calls += other.report.calls
        report.skippedSuccessful += other.report.skippedSuccessful
        report.permissionless.merge(other.report.permissionless, uniquingKeysWith: +)
        report.unmapped.merge(other.report.unmapped, uniquingKeysWith: +)
        report.unknown.merge(other.report.unknown) { _, theirs in theirs }
        report.mayAlsoNeed.merge(other.report.mayAlsoNeed) { $0.union($1) }
        var changed = false
        for action in other.actionsInOrder where actionSet.insert(action).inserted {
            actionsInOrder.append(action)
            changed = true
        }
        return changed
    }

    /// The policy document for what was added so far.
    public var document: PolicyDocument {
        PolicyDocument(statements: actionSet.isEmpty ? [] : [.init(actions: actions)])
    }

    /// Conditional actions not granted, minus those the policy already has.
    public var mayAlsoNeed: [(action: String, neededBy: [String])] {
        report.mayAlsoNeed.filter { !actionSet.contains($0.key) }
            .map { ($0.key, $0.value.sorted()) }
            .sorted { $0.action.lowercased() < $1.action.lowercased() }
    }
}
