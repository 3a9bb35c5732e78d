/// The notes in JSON (`diff --format json`'s `notes`):
///
/// - `permissionless`, `unmapped`: name to call count;
/// - `unknown`: the example names kept (``UnknownNames``), `service.operation` to the reason;
/// - `unknownCalls`: calls naming an unknown `service`, and an unknown `operation` of a known one;
/// - `mayAlsoNeed`: `{action, neededBy, decision?, why}`, sorted by action (`why`: `parameter`,
///   `encrypted` or `service`; an action may appear once for each).
extension ResolutionNotes: Codable {
    private enum CodingKeys: String, CodingKey {
        case permissionless, unmapped, unknown, unknownCalls, mayAlsoNeed
    }

    private struct UnknownCalls: Codable {
        var service: Int
        var operation: Int
    }

    /// Writes the notes as described above.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(permissionless, forKey: .permissionless)
        try container.encode(unmapped, forKey: .unmapped)
        var examples: [String: String] = [:]
        for example in unknown.examples { examples[example.name] = example.reason }
        try container.encode(examples, forKey: .unknown)
        try container.encode(UnknownCalls(service: unknown.serviceCalls, operation: unknown.operationCalls), forKey: .unknownCalls)
        try container.encode(mayAlsoNeed, forKey: .mayAlsoNeed)
    }

    /// Reads notes written by ``encode(to:)``. Suggestions stay part of the examples' reasons
    /// only as text: an example read back has none of its own.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        permissionless = try container.decodeIfPresent([String: Int].self, forKey: .permissionless) ?? [:]
        unmapped = try container.decodeIfPresent([String: Int].self, forKey: .unmapped) ?? [:]
        let examples = try container.decodeIfPresent([String: String].self, forKey: .unknown) ?? [:]
        let counts = try container.decodeIfPresent(UnknownCalls.self, forKey: .unknownCalls)
        unknown = UnknownNames(
            serviceCalls: counts?.service ?? 0, operationCalls: counts?.operation ?? 0,
            examples: examples.sorted { $0.key < $1.key }.map { name, reason in
                let dot = name.lastIndex(of: ".") ?? name.endIndex
                let operation = dot == name.endIndex ? "" : String(name[name.index(after: dot)...])
                let module = reason.hasPrefix("unknown operation of service '")
                    ? reason.dropFirst("unknown operation of service '".count).prefix { $0 != "'" } : nil
                return UnknownNames.Example(service: String(name[..<dot]), operation: operation,
                                            kind: module == nil ? .service : .operation, module: module.map(String.init))
            })
        for entry in try container.decodeIfPresent([MayAlsoNeed].self, forKey: .mayAlsoNeed) ?? [] {
            for operation in entry.neededBy {
                noteMayAlsoNeed(entry.action, neededBy: operation, decision: entry.decision, why: entry.why)
            }
        }
    }
}
