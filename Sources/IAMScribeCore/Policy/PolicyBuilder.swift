#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Dispatch
import Synchronization

/// Builds a minimal policy from observed calls, growing as calls come in.
///
/// Every action the observed calls need enters the policy once, on the resources the calls'
/// parameters name: each action's resources come from ``RequestResolver`` (the resolution `diff`
/// and `evaluate` use), and actions with the same resources share a statement. Actions with no
/// resource types, and actions of calls whose parameters are unknown (CSM), are on `"*"` (see
/// ``ResourceOptions``). Calls are classified by ``CallClassifier``, as `diff` classifies them.
/// Calls that need no permission, and calls the table cannot map or does not know, never enter
/// it; they are noted in ``report`` (``ResolutionNotes``) so the user sees them.
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
        /// Which resources the statements name.
        public var resources: ResourceOptions

        /// Creates options.
        public init(failsOnly: Bool = false, order: ActionOrder = .alphabetical, resources: ResourceOptions = ResourceOptions()) {
            self.failsOnly = failsOnly
            self.order = order
            self.resources = resources
        }
    }

    /// What the builder saw besides the policy's actions.
    public struct Report: Sendable, Equatable {
        /// Calls taken (after `failsOnly`).
        public var calls = 0
        /// Calls skipped because they succeeded, with `failsOnly`.
        public var skippedSuccessful = 0
        /// Calls that need no permission, that the table maps to nothing or does not know, and
        /// the conditional actions the calls' parameters did not settle (granted ones included:
        /// see ``PolicyBuilder/notes``).
        public var notes = ResolutionNotes()
    }

    /// The table calls are resolved against.
    public var table: ActionTable { classifier.table }
    /// The options.
    public let options: Options
    /// What was seen besides the policy's actions.
    public private(set) var report = Report()

    private let classifier: CallClassifier
    /// Where each action's resources come from: the one resolution `diff` and `evaluate` use.
    private let resolver: RequestResolver
    private var actionsInOrder: [String] = []
    /// The resources found so far: what ``document`` groups into statements.
    private var resources = ResourceSet()
    /// The calls whose resources were resolved, by what decides them: a recording repeats the
    /// same call with the same parameters, resolved once (at most ``resourceCacheLimit`` kept).
    private var resolvedResources: Set<ResourceKey> = []
    private static let resourceCacheLimit = 65_536
    /// Resources the calls so far gave a customer managed key (``EncryptedResourceRules``): later
    /// calls on them need the actions of their `(encrypted)` trigger.
    private var encryption = EncryptedResourceTracker()
    private var actionSet: Set<String> = []
    /// Resolutions of calls without parameters, by the names exactly as the client sent them:
    /// a live recording sees the same few hundred operations millions of times. Calls with
    /// parameters start from the same resolution. Only names the table knows are kept, and only
    /// so many: names from a datagram can be anything, and each distinct unknown one would
    /// otherwise stay (see ``cacheLimit``).
    private var resolved: [CallKey: Entry] = [:]

    /// The most resolutions kept, and the longest name (in bytes) of a kept one: the table's
    /// names are at most 63 characters; longer spellings are resolved each time.
    private static let cacheLimit = 16_384
    private static let cachedNameLimit = 128

    /// A call's resolution, shared by the calls alike (a class: the entry is copied out of the
    /// dictionary for every call), with the name notes give it.
    private final class Resolution: Sendable {
        let resolution: CallResolution
        /// `prefix:Operation` for a permissionless call, `module.Operation` for an unmapped one,
        /// `Service Operation` for a mapped one (the operation that may also need an action).
        let name: String

        init(_ resolution: CallResolution) {
            self.resolution = resolution
            switch resolution {
            case .mapped(let permissions): name = permissions.operationName
            case .permissionless(let permissions): name = permissions.actionStyleName
            case .unmapped(let permissions): name = permissions.moduleStyleName
            case .unknownService, .unknownOperation: name = ""
            }
        }
    }

    private struct Entry: Sendable {
        let resolution: Resolution
        /// What the encrypted-resource rules say of the operation (nil: nothing).
        var encryptionRule: EncryptedResourceRules.Rule?
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
        // Parameters that settle an action as not needed (a `+Member` trigger they lack) make the
        // call a variant of its own: rare, and its notes differ from a call that lacks nothing.
        guard ActionTable.settledConditionals(of: operation, parameters: parameters) == 0 else { return nil }
        return 1 << 63 | ActionTable.triggeredConditionals(of: operation, parameters: parameters)
    }

    private struct CallKey: Hashable, Sendable {
        let service: String
        let operation: String
    }

    /// Creates an empty builder.
    ///
    /// - Parameters:
    ///   - table: The action table calls are classified against (see ``CallClassifier``).
    ///   - options: Which calls enter the policy and how it is rendered.
    public init(table: ActionTable = .bundled, options: Options = Options()) {
        classifier = CallClassifier(table: table)
        resolver = RequestResolver(table: table, account: options.resources.account)
        self.options = options
    }

    /// How many resolutions are cached (bounded: see ``cacheLimit``).
    var cachedResolutions: Int { resolved.count }

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
            let resolution = classifier.classify(service: call.service, operation: call.operation)
            switch resolution {
            case .unknownService, .unknownOperation:
                // Never cached: each distinct unknown name would stay. Counted, a few kept as examples.
                report.notes.record(resolution, of: call)
                return false
            case .mapped, .permissionless, .unmapped:
                var entry = Entry(resolution: Resolution(resolution))
                if case .mapped(let permissions) = resolution {
                    let rule = EncryptedResourceRules.rule(module: permissions.service.module, operation: permissions.operation)
                    entry.encryptionRule = rule.matters ? rule : nil
                }
                cached = entry
                if resolved.count < Self.cacheLimit, call.service.utf8.count <= Self.cachedNameLimit,
                   call.operation.utf8.count <= Self.cachedNameLimit {
                    resolved[key] = cached
                }
            }
        }
        let name = cached.resolution.name
        switch cached.resolution.resolution {
        case .unknownService, .unknownOperation:
            // Not cached (above); noted all the same should that change.
            report.notes.record(cached.resolution.resolution, of: call)
            return false
        case .permissionless:
            report.notes.permissionless[name, default: 0] += 1
            return false
        case .unmapped:
            report.notes.unmapped[name, default: 0] += 1
            return false
        case .mapped(let base):
            var callParameters = call.parameters
            if let rule = cached.encryptionRule, let parameters = callParameters {
                callParameters = encryption.parameters(module: base.service.module, operation: base.operation, rule: rule, parameters)
            }
            let variant = Self.variant(of: base.operation, parameters: callParameters)
            let repeated = variant.map { cached.added.contains($0) } ?? false
            let resourcesMatter = options.resources.mode != .wildcard
            // What decides the call's resources: a call seen before adds none (one hash a call).
            var newResourceKey: ResourceKey?
            if resourcesMatter {
                let key = resourceKey(of: call)
                let isNew = resolvedResources.count < Self.resourceCacheLimit
                    ? resolvedResources.insert(key).inserted : !resolvedResources.contains(key)
                if isNew { newResourceKey = key } else if repeated { return false }
            } else if repeated {
                return false
            }
            // The service and operation resolve the same whatever the parameters; these only
            // settle the operation's conditional actions.
            var permissions = base
            if let parameters = callParameters, !base.operation.conditionalActions.isEmpty {
                let triggered = variant.map { $0 & ~(1 << 63) }
                    ?? ActionTable.triggeredConditionals(of: base.operation, parameters: parameters)
                let settled = variant == nil ? ActionTable.settledConditionals(of: base.operation, parameters: parameters) : 0
                let needed = ActionTable.actions(of: base.operation, triggered: triggered, settled: settled)
                permissions = CallPermissions(service: base.service, operation: base.operation,
                                              actions: needed.actions, mayAlsoNeed: needed.mayAlsoNeed)
            }
            var changed = false
            if !repeated {
                for action in permissions.mayAlsoNeed {
                    let why = permissions.conditionKind(of: action)
                    if !report.notes.notedMayAlsoNeed(action, neededBy: name, why: why) {
                        report.notes.noteMayAlsoNeed(action, neededBy: name, why: why)
                    }
                }
                for action in permissions.actions where actionSet.insert(action).inserted {
                    actionsInOrder.append(action)
                    changed = true
                }
                if let variant, cached.added.count < 64 { resolved[key]?.added.append(variant) }
            }
            if let newResourceKey, addResources(of: call, permissions, key: newResourceKey) { changed = true }
            return changed
        }
    }

    /// What decides a call's resources besides its actions.
    private struct ResourceKey: Hashable, Sendable {
        let service: String
        let operation: String
        let region: String?
        let account: String?
        let parameters: [String: String]?
        /// The resource ARNs the source names (CloudTrail), which decide the resources too.
        let listed: [String]?
    }

    private func resourceKey(of call: ObservedCall) -> ResourceKey {
        ResourceKey(service: call.service, operation: call.operation, region: call.region, account: resolver.account(of: call),
                    parameters: call.parameters, listed: call.resourceARNs)
    }

    /// Adds the resources of a call's actions: a call not seen before (see ``resolvedResources``).
    ///
    /// - Returns: Whether the policy changed.
    private mutating func addResources(of call: ObservedCall, _ permissions: CallPermissions, key: ResourceKey) -> Bool {
        let account = key.account
        if options.resources.account == nil, call.account == nil, let account, resources.derivedAccounts.count < 16 {
            resources.derivedAccounts.insert(account)
        }
        var changed = false
        for action in permissions.actions {
            let found = resolver.typedResources(for: action, operation: permissions.operation, parameters: call.parameters,
                                                region: call.region, account: account, listed: call.resourceARNs)
            if let first = found.resources.first, first.type == nil {
                changed = resources.stayOnAny(action, first.resource == .any ? .noResourceType : .notInIAMData) || changed
                continue
            }
            guard call.parameters != nil || options.resources.placeholders else {
                changed = resources.stayOnAny(action, .parametersUnknown) || changed
                continue
            }
            // Placeholders for a person to fill in only where the parameters are unknown; else an
            // unknown part is `*`, never a guess.
            var texts = found.resources.map { call.parameters == nil ? $0.resource.description : $0.resource.policyPattern }
            var types = found.resources.map { $0.type ?? "" }
            if call.parameters != nil, found.resources.contains(where: { $0.resource.unknownParts.contains("Account") }) {
                resources.accountUnknown = true
            }
            if found.scope == .oneOf, texts.count > options.resources.cutoff {
                // One of many types, none named (EC2 CreateTags on any of a hundred): their common pattern.
                texts = ResourceSet.collapse(texts, cutoff: 1)
                types = ["(one of)"]
            }
            for (text, type) in zip(texts, types) {
                changed = resources.add(text, type: type, to: action) || changed
            }
        }
        return changed
    }

    /// The resources calls give a customer managed key, with the index of the call: what the
    /// builders sharing out a long list start from.
    private func encryptionMarks(in calls: [ObservedCall]) -> [(index: Int, resource: String)] {
        var marks: [(Int, String)] = []
        // The module of each service name seen, "" for names of no concern: a list holds a few.
        var modules: [String: String] = [:]
        for (index, call) in calls.enumerated() {
            guard let parameters = call.parameters else { continue }
            let module: String
            if let known = modules[call.service] {
                module = known
            } else {
                let found = table.service(named: call.service)?.module ?? ""
                module = EncryptedResourceRules.concerns(module: found) ? found : ""
                if modules.count < 1024 { modules[call.service] = module }
            }
            guard !module.isEmpty,
                  let resource = EncryptedResourceRules.encryptedResource(module: module, operation: call.operation,
                                                                          parameters: parameters) else { continue }
            marks.append((index, resource))
        }
        return marks
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
        // A resource encrypted by a call of an earlier stretch is encrypted for the later ones.
        let marks = encryptionMarks(in: calls), known = encryption.resources
        DispatchQueue.concurrentPerform(iterations: threads) { part in
            var builder = PolicyBuilder(table: table, options: options)
            builder.encryption.resources = known.union(marks.lazy.filter { $0.index < part * stretch }.map(\.resource))
            for index in (part * stretch)..<min(calls.count, (part + 1) * stretch) { builder.add(calls[index]) }
            builders.withLock { $0[part] = builder }
        }
        var changed = false
        for part in 0..<threads {
            // Every part stored its builder before concurrentPerform returned.
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
        report.notes.merge(other.report.notes)
        encryption.resources.formUnion(other.encryption.resources)
        var changed = resources.merge(other.resources)
        if resolvedResources.count + other.resolvedResources.count <= Self.resourceCacheLimit {
            resolvedResources.formUnion(other.resolvedResources)
        }
        for action in other.actionsInOrder where actionSet.insert(action).inserted {
            actionsInOrder.append(action)
            changed = true
        }
        return changed
    }

    /// The policy document for what was added so far: one statement per distinct set of
    /// resources, actions in the configured order inside.
    public var document: PolicyDocument {
        if actionSet.isEmpty { return PolicyDocument(statements: []) }
        if options.resources.mode == .wildcard { return PolicyDocument(statements: [.init(actions: actions)]) }
        var byResources: [[String]: [String]] = [:]
        for action in actions {
            byResources[resources.resources(of: action, cutoff: options.resources.cutoff), default: []].append(action)
        }
        let statements = byResources.map { PolicyDocument.Statement(actions: $0.value, resources: $0.key) }
        return PolicyDocument(statements: statements.sorted { $0.resources.lexicographicallyPrecedes($1.resources) })
    }

    /// The actions that stayed on `"*"` in a policy that names resources elsewhere, and why;
    /// empty when every statement is on `"*"` or names resources (nothing mixed to explain).
    public var actionsOnAny: [(action: String, why: ResourceSet.AnyReason)] {
        guard options.resources.mode != .wildcard else { return [] }
        let onAny = resources.onAny.filter { $0.value != .noResourceType && actionSet.contains($0.key) }
        guard !onAny.isEmpty, actionSet.contains(where: { resources.onAny[$0] == nil }) else { return [] }
        return onAny.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 }
    }

    /// The accounts derived from the calls' access key ids (without `--account-id`).
    public var derivedAccounts: [String] { resources.derivedAccounts.sorted() }

    /// Whether some ARN has `*` for its account: neither given nor derivable from a key id.
    public var accountUnknown: Bool { resources.accountUnknown && options.resources.account == nil }

    /// What the calls showed besides the policy: ``Report/notes`` without the conditional
    /// actions the policy grants anyway.
    public var notes: ResolutionNotes {
        report.notes.excludingMayAlsoNeed(actionSet)
    }

    /// Conditional actions not granted, minus those the policy already has.
    public var mayAlsoNeed: [(action: String, neededBy: [String])] {
        notes.mayAlsoNeed.map { ($0.action, $0.neededBy) }
    }
}
