/// Calls naming a service or an operation the action table does not know, aggregated: how many
/// of each kind, and the first few distinct names as examples, each cut to a sane length.
///
/// Names come from whoever sends a datagram or writes a capture, and each can be kilobytes long:
/// keeping every distinct one would let a sender grow memory and the exit summary without bound
/// (70,000 datagrams of distinct names once took 1.78 GB). So only the counts grow.
public struct UnknownNames: Sendable, Hashable {
    /// The most example names kept of each kind.
    public static let examplesPerKind = 5
    /// The most characters (Unicode scalars) kept of a service or operation name in an example.
    public static let nameLimit = 64

    /// What the table did not know.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The service name.
        case service
        /// The operation name, of a service it knows.
        case operation
    }

    /// One unknown name, as the call gave it (each part cut to ``nameLimit`` characters).
    public struct Example: Sendable, Hashable {
        /// The service name as the call gave it, cut.
        public let service: String
        /// The operation name as the call gave it, cut.
        public let operation: String
        /// What the table did not know.
        public let kind: Kind
        /// For an unknown operation, the module name of the service the table knows; nil for an
        /// unknown service.
        public let module: String?
        /// Known names close to the unknown one, best first: empty unless asked for at report
        /// time (``ResolutionNotes/suggesting(from:)``).
        public var suggestions: [String] = []

        /// `service.operation`, as reports list it.
        public var name: String { "\(service).\(operation)" }

        /// Why the call was not resolved: `unknown service`, or `unknown operation of service
        /// 'module'`, with the suggestions when there are some.
        public var reason: String {
            let base = module.map { "unknown operation of service '\($0)'" } ?? "unknown service"
            return suggestions.isEmpty ? base : base + "; did you mean " + suggestions.map { "'\($0)'" }.joined(separator: ", ") + "?"
        }

        /// Whether a part of the name was cut, so that suggestions for it would mislead.
        var isCut: Bool { service.hasSuffix("…") || operation.hasSuffix("…") }
    }

    /// Calls naming an unknown service.
    public private(set) var serviceCalls = 0
    /// Calls naming an unknown operation of a known service.
    public private(set) var operationCalls = 0
    /// The first distinct unknown names, at most ``examplesPerKind`` of each kind, in the order
    /// first seen.
    public internal(set) var examples: [Example] = []

    /// Creates an empty aggregate.
    public init() {}

    /// All calls naming something unknown.
    public var calls: Int { serviceCalls + operationCalls }

    /// Whether no call named anything unknown.
    public var isEmpty: Bool { calls == 0 }

    /// The calls of one kind.
    ///
    /// - Parameter kind: The kind.
    /// - Returns: How many calls named an unknown thing of that kind.
    public func calls(_ kind: Kind) -> Int {
        kind == .service ? serviceCalls : operationCalls
    }

    /// Counts one call, and keeps its names as an example while there are few.
    ///
    /// Once ``examplesPerKind`` examples of the kind are kept, a call costs a counter increment:
    /// nothing of its names is copied.
    ///
    /// - Parameters:
    ///   - kind: What the table did not know.
    ///   - service: The service name as the call gave it.
    ///   - operation: The operation name as the call gave it.
    ///   - module: For an unknown operation, the module name of the known service.
    public mutating func add(_ kind: Kind, service: String, operation: String, module: String? = nil) {
        switch kind {
        case .service: serviceCalls += 1
        case .operation: operationCalls += 1
        }
        var kept = 0
        for example in examples where example.kind == kind {
            if Self.isCut(example.service, from: service) && Self.isCut(example.operation, from: operation) { return }
            kept += 1
        }
        guard kept < Self.examplesPerKind else { return }
        examples.append(Example(service: TerminalText.cut(service, to: Self.nameLimit),
                                operation: TerminalText.cut(operation, to: Self.nameLimit), kind: kind, module: module))
    }

    /// Takes in what another aggregate counted after what this one counted, as though its calls
    /// had been added here.
    ///
    /// - Parameter other: The later aggregate.
    public mutating func merge(_ other: UnknownNames) {
        serviceCalls += other.serviceCalls
        operationCalls += other.operationCalls
        // The other's examples are its first distinct names: those this one lacks come next.
        for example in other.examples where !examples.contains(where: { $0.kind == example.kind && $0.name == example.name }) {
            guard examples.count(where: { $0.kind == example.kind }) < Self.examplesPerKind else { continue }
            examples.append(example)
        }
    }

    /// Whether `cut` is what ``TerminalText/cut(_:to:)`` makes of `name`, without copying `name`.
    private static func isCut(_ cut: String, from name: String) -> Bool {
        if name.utf8.count <= nameLimit { return cut == name }
        var names = name.unicodeScalars.makeIterator()
        var cuts = cut.unicodeScalars.makeIterator()
        for _ in 0..<nameLimit {
            guard let scalar = names.next() else { return cut == name }
            guard cuts.next() == scalar else { return false }
        }
        guard names.next() != nil else { return cut == name }
        return cuts.next() == "…" && cuts.next() == nil
    }
}

extension UnknownNames {
    /// Counts as read back from a report: the examples, and the calls of each kind.
    init(serviceCalls: Int, operationCalls: Int, examples: [Example]) {
        self.serviceCalls = serviceCalls
        self.operationCalls = operationCalls
        self.examples = examples
    }
}
